/**
 * Collects output up to a cap, so a noisy tool cannot fill memory or a
 * result. It keeps the first half of the cap and the last half: a long log's
 * start says what ran, its end says why it failed, and both survive. The
 * bytes between are replaced by one marker line naming how many were cut.
 */
export class CappedBuffer {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private readonly headCap: number;
  private readonly tailCap: number;
  total = 0;

  constructor(cap: number) {
    this.headCap = Math.floor(Math.max(0, cap) / 2);
    this.tailCap = Math.max(0, cap) - this.headCap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.headCap - this.headBytes;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
    }
    if (chunk.length === 0 || this.tailCap === 0) return;
    // Copied: a subarray would pin the producer's whole chunk in memory.
    this.tail.push(Buffer.from(chunk.length > this.tailCap ? chunk.subarray(chunk.length - this.tailCap) : chunk));
    this.tailBytes += Math.min(chunk.length, this.tailCap);
    while (this.tailBytes > this.tailCap) {
      const excess = this.tailBytes - this.tailCap;
      const first = this.tail[0];
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
      }
    }
  }

  /** Bytes dropped from the middle. */
  get cut(): number {
    return this.total - this.headBytes - this.tailBytes;
  }

  get truncated(): boolean {
    return this.cut > 0;
  }

  contents(): Buffer {
    if (!this.truncated) return Buffer.concat([...this.head, ...this.tail]);
    // A `[refci:` line, which a failed step's reason skips when it looks for what the tool said last.
    const marker = Buffer.from(`\n[refci: ... ${this.cut} of ${this.total} bytes cut ...]\n`);
    return Buffer.concat([...this.head, marker, ...this.tail]);
  }
}

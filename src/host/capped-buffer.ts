/** Collects output up to a cap and remembers how much was cut, so a noisy tool cannot fill memory or a result. */
export class CappedBuffer {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.cap - this.kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  contents(): Buffer {
    const body = Buffer.concat(this.chunks);
    if (!this.truncated) return body;
    return Buffer.concat([body, Buffer.from(`\n[refci: output cut at ${this.cap} of ${this.total} bytes]\n`)]);
  }
}

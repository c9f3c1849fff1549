import * as z from './zod.ts';
import { decodeRecord, encodeRecord, type Decoded } from './codec.ts';

/**
 * The live log of a running job, carried by its holder's heartbeat commits on
 * the lock chain: beside `lock.json`, the tree holds `live-logs.json` (this
 * index) and `logs/<step>.log`, the last bytes of each step's output so far
 * (already scrubbed, see scrub.ts). Offsets count bytes of the step's output
 * as its result log counts them, so a reader that printed up to one offset
 * knows what is new in the next heartbeat, and what is left in the result.
 *
 * Advisory: nothing is decided on it, hosts that do not know it ignore the
 * extra files, and a reader that cannot read it shows no live log.
 */
export const LIVE_LOGS_FILE = 'live-logs.json';

/** A step's name in a result: a configured name, with `-<n>` for each run of a step run once per list of targets. */
const STEP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const liveLogStepSchema = z.strictObject({
  name: z.string().regex(STEP_NAME),
  /** The file in the same tree holding bytes `from` to `to` of the step's output. */
  log: z.string().regex(/^logs\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.log$/),
  from: z.number().int().min(0),
  to: z.number().int().min(0),
  /** The step has ended: `to` is its whole output. */
  done: z.boolean(),
});

export const liveLogIndexSchema = z.strictObject({
  version: z.literal(1),
  /** In the order the steps started. */
  steps: z.array(liveLogStepSchema).max(1000),
});

export type LiveLogStep = z.output<typeof liveLogStepSchema>;
export type LiveLogIndex = z.output<typeof liveLogIndexSchema>;

export function decodeLiveLogIndex(text: string | Buffer): Decoded<LiveLogIndex> {
  const decoded = decodeRecord(LIVE_LOGS_FILE, text, liveLogIndexSchema);
  if (!decoded.ok) return decoded;
  const bad = decoded.value.steps.find((step) => step.to < step.from);
  return bad ? { ok: false, reason: `${LIVE_LOGS_FILE} step ${bad.name}: to is before from` } : decoded;
}

/** The largest live tail a worker keeps per step (`liveLogBytes` of the configuration is at most this). */
export const MAX_LIVE_LOG_BYTES = 1024 * 1024;

/** The last `cap` bytes pushed into it, and how many came in all. */
class TailBuffer {
  private parts: Buffer[] = [];
  private bytes = 0;
  total = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Uint8Array): void {
    this.total += chunk.length;
    if (chunk.length === 0 || this.cap === 0) return;
    // Copied: the producer's chunk may be reused, and a subarray would pin all of it.
    const kept = Buffer.from(chunk.length > this.cap ? chunk.subarray(chunk.length - this.cap) : chunk);
    this.parts.push(kept);
    this.bytes += kept.length;
    while (this.bytes > this.cap) {
      const excess = this.bytes - this.cap;
      const first = this.parts[0]!;
      if (first.length <= excess) {
        this.parts.shift();
        this.bytes -= first.length;
      } else {
        this.parts[0] = first.subarray(excess);
        this.bytes -= excess;
      }
    }
  }

  contents(): Buffer {
    if (this.parts.length > 1) this.parts = [Buffer.concat(this.parts)];
    return this.parts[0] ?? Buffer.alloc(0);
  }
}

/**
 * The worker's side: collects each step's (scrubbed) output as it comes and
 * gives the files a heartbeat commit carries. Memory and commit size are
 * bounded by `cap` bytes per step; the files only change when output came.
 */
export class LiveLogTails {
  private readonly steps = new Map<string, { tail: TailBuffer; done: boolean }>();
  private changed = false;
  private last: Record<string, string | Uint8Array> = {};

  constructor(private readonly cap: number) {}

  write(step: string, chunk: Uint8Array): void {
    this.stepOf(step).tail.push(chunk);
    if (chunk.length > 0) this.changed = true;
  }

  end(step: string): void {
    this.stepOf(step).done = true;
    this.changed = true;
  }

  /** `live-logs.json` and the tail of every step so far (none before the first step); the same object again when nothing changed. */
  files(): Record<string, string | Uint8Array> {
    if (!this.changed) return this.last;
    const index: LiveLogIndex = { version: 1, steps: [] };
    const files: Record<string, string | Uint8Array> = {};
    for (const [name, { tail, done }] of this.steps) {
      const { content, from } = lineAligned(tail.contents(), tail.total);
      const log = `logs/${name}.log`;
      files[log] = content;
      index.steps.push({ name, log, from, to: tail.total, done });
    }
    files[LIVE_LOGS_FILE] = encodeRecord(index);
    this.last = files;
    this.changed = false;
    return files;
  }

  private stepOf(step: string) {
    let entry = this.steps.get(step);
    if (!entry) {
      entry = { tail: new TailBuffer(this.cap), done: false };
      this.steps.set(step, entry);
      this.changed = true;
    }
    return entry;
  }
}

/** A tail that starts in the middle of a line starts at the next line instead, when it has one. */
function lineAligned(tail: Buffer, total: number): { content: Buffer; from: number } {
  const from = total - tail.length;
  if (from === 0) return { content: tail, from };
  const newline = tail.indexOf(0x0a);
  if (newline === -1 || newline === tail.length - 1) return { content: tail, from };
  return { content: tail.subarray(newline + 1), from: from + newline + 1 };
}

/**
 * What a reader that has shown `printed` bytes of a step prints from a live
 * window holding bytes `from`..`to`: `skipped` bytes it will never see (more
 * output came between two heartbeats than a tail holds), then `text`. A step
 * still running keeps its last, unfinished line for later (`partial` false
 * prints it), so lines are never printed in halves.
 */
export function liveNews(printed: number, window: { from: number; to: number; done: boolean; content: Buffer }, options: { partial?: boolean } = {}): { skipped: number; text: Buffer; printed: number } {
  if (window.content.length !== window.to - window.from || window.to <= printed) return { skipped: 0, text: Buffer.alloc(0), printed };
  const start = Math.max(printed, window.from);
  let text = window.content.subarray(start - window.from);
  if (!window.done && options.partial !== true) {
    const newline = text.lastIndexOf(0x0a);
    text = text.subarray(0, newline + 1);
  }
  if (text.length === 0) return { skipped: 0, text, printed };
  return { skipped: start - printed, text, printed: start + text.length };
}

/** The marker line of a result log whose middle was cut (host/capped-buffer.ts writes it). */
const CUT_MARKER = /\n\[refci: \.\.\. (\d+) of (\d+) bytes cut \.\.\.\]\n/;

/**
 * What is left of a step's result log after `printed` bytes of its output
 * were shown live. A result log over its cap holds the first and last parts
 * around a marker line; output shown live that the result log cut is
 * `skipped` here too.
 */
export function restOfLog(printed: number, log: Buffer, step: { logBytes: number; logTruncated: boolean }): { skipped: number; text: Buffer } {
  if (printed <= 0) return { skipped: 0, text: log };
  if (!step.logTruncated) return { skipped: 0, text: log.subarray(Math.min(printed, log.length)) };
  const marker = CUT_MARKER.exec(log.toString('latin1'));
  if (!marker) return { skipped: 0, text: log };
  const head = log.subarray(0, marker.index);
  const tail = log.subarray(marker.index + marker[0].length);
  const tailStart = Number(marker[2]) - tail.length;
  if (printed < head.length) return { skipped: 0, text: log.subarray(printed) };
  if (printed >= tailStart) return { skipped: 0, text: tail.subarray(Math.min(printed - tailStart, tail.length)) };
  return { skipped: tailStart - printed, text: tail };
}

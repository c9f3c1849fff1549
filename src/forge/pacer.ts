/**
 * Spacing of mutating requests. GitHub asks integrators to send POST, PATCH, PUT and DELETE
 * requests at least one second apart, one at a time; faster writers meet its secondary rate
 * limits (403 or 429 with `retry-after`). Every write of a forge client goes through one pacer:
 * it waits, on the clock it is given, until `gapMs` have passed since the previous write was
 * sent, and sends writes one after the other. Reads are not paced (conditional reads that answer
 * 304 are free, and the others count only against the hourly limit).
 *
 * Time is an input: `now` and `sleep` are those of the client's retry options, so tests move a
 * manual clock instead of waiting.
 */

/** The HTTP methods GitHub counts as content-creating. */
const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export function isMutating(method: string): boolean {
  return MUTATING.has(method.toUpperCase());
}

/** GitHub's rule: at least one second between writes. */
export const DEFAULT_WRITE_GAP_MS = 1_000;

export interface PacerClock {
  /** Milliseconds since the epoch. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export class WritePacer {
  readonly #gapMs: number;
  readonly #clock: PacerClock;
  /** When the previous write was sent, on the pacer's clock. */
  #lastSent: number | undefined;
  /** Writes queue behind each other, so concurrent callers are spaced too. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(gapMs: number, clock: PacerClock) {
    this.#gapMs = Math.max(0, gapMs);
    this.#clock = clock;
  }

  /** Runs `send` once the gap since the previous write has passed; writes never overlap. */
  pace<T>(send: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#lastSent !== undefined) {
        const wait = this.#lastSent + this.#gapMs - this.#clock.now();
        if (wait > 0) await this.#clock.sleep(wait);
      }
      this.#lastSent = this.#clock.now();
      return send();
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

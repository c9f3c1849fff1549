import { isRefciError, RefciError } from '../errors.ts';
import { formatDuration } from '../protocol/duration.ts';
import { DEFAULT_WRITE_GAP_MS } from './pacer.ts';

/**
 * What both forge clients do when an answer is not a success:
 * - rate limited (403/429 with `x-ratelimit-remaining: 0`, `retry-after`, or a "rate limit"
 *   message): wait when the wait is at most `maxRateLimitWaitMs`, else stop with a RefciError
 *   that says when to retry;
 * - 5xx or no answer at all (connection refused or reset): retry with exponential backoff,
 *   `maxAttempts` attempts in all;
 * - anything else: no retry, the caller turns it into an error.
 */
export interface RetryOptions {
  /** Attempts in all for 5xx and network failures (1 = no retry). */
  maxAttempts: number;
  /** First backoff; doubled after each failure, capped by maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest rate-limit wait refci sits through; a longer one stops with an error. */
  maxRateLimitWaitMs: number;
  /** How many rate-limit waits one request may take before giving up. */
  maxRateLimitWaits: number;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch; the rate-limit reset header is compared with it. */
  now: () => number;
  /** Least time between two mutating requests (POST, PATCH, PUT, DELETE); see pacer.ts. */
  writeGapMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRateLimitWaitMs: 120_000,
  maxRateLimitWaits: 2,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  writeGapMs: DEFAULT_WRITE_GAP_MS,
};

/** The parts of a failed answer the policy looks at. Status 0 means no answer (network). */
export interface Failure {
  status: number;
  headers: Record<string, string | undefined>;
  /** The forge's message (`message` field of the JSON body), if any. */
  message: string;
}

export type Decision =
  | { kind: 'rate-limit'; waitMs: number; resetAt: number }
  | { kind: 'server'; waitMs?: number }
  | { kind: 'fatal' };

/** Pure: classifies a failed answer. */
export function classify(failure: Failure, now: number): Decision {
  const { status, headers } = failure;
  if (status === 403 || status === 429) {
    const remaining = headers['x-ratelimit-remaining'];
    const reset = Number(headers['x-ratelimit-reset']);
    const retryAfter = parseRetryAfter(headers['retry-after'], now);
    if (retryAfter !== undefined) return { kind: 'rate-limit', waitMs: retryAfter, resetAt: now + retryAfter };
    if (remaining === '0' && Number.isFinite(reset)) {
      // One extra second: the reset is in whole seconds and clocks differ a little.
      const resetAt = reset * 1000 + 1000;
      return { kind: 'rate-limit', waitMs: Math.max(0, resetAt - now), resetAt };
    }
    // GitHub's secondary limits may come without headers: "wait at least one minute".
    if (status === 429 || /rate limit/i.test(failure.message)) return { kind: 'rate-limit', waitMs: 60_000, resetAt: now + 60_000 };
    return { kind: 'fatal' };
  }
  if (status === 0 || status >= 500) {
    const retryAfter = parseRetryAfter(headers['retry-after'], now);
    return retryAfter === undefined ? { kind: 'server' } : { kind: 'server', waitMs: retryAfter };
  }
  return { kind: 'fatal' };
}

function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryContext {
  options: RetryOptions;
  /** `GitHub` or `Codeberg`, for messages. */
  forgeName: string;
  /** Called before each wait, e.g. to log it. */
  onWait?: (line: string) => void;
}

/**
 * Runs `attempt` until it succeeds, a failure is fatal (rethrown as it was), the 5xx retries
 * are used up, or a rate-limit wait would be too long (both RefciError 'forge').
 * `inspect` says whether a thrown error is an HTTP failure and which.
 */
export async function withRetries<T>(
  context: RetryContext,
  what: string,
  attempt: () => Promise<T>,
  inspect: (error: unknown) => Failure | undefined,
): Promise<T> {
  const { options, forgeName } = context;
  let serverFailures = 0;
  let rateWaits = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const failure = inspect(error);
      if (!failure) throw error;
      const decision = classify(failure, options.now());
      if (decision.kind === 'fatal') throw error;
      if (decision.kind === 'rate-limit') {
        const resetIso = new Date(decision.resetAt).toISOString();
        if (decision.waitMs > options.maxRateLimitWaitMs || rateWaits >= options.maxRateLimitWaits) {
          throw new RefciError(
            'forge',
            `${forgeName} rate limit reached for ${what} (answer ${failure.status}); it resets at ${resetIso}, in ${formatDuration(decision.waitMs / 1000)}`,
            `retry after ${resetIso}; refci waits by itself only up to ${formatDuration(options.maxRateLimitWaitMs / 1000)}`,
            { status: failure.status, retryAt: resetIso, waitMs: decision.waitMs },
          );
        }
        rateWaits += 1;
        context.onWait?.(`${forgeName} rate limit reached for ${what}; waiting ${formatDuration(decision.waitMs / 1000)} (until ${resetIso})`);
        await options.sleep(decision.waitMs);
        continue;
      }
      serverFailures += 1;
      const answer = failure.status === 0 ? `no answer (${failure.message})` : `answer ${failure.status}`;
      if (serverFailures >= options.maxAttempts) {
        throw new RefciError(
          'forge',
          `${forgeName} failed ${what}: ${answer} after ${serverFailures} attempts`,
          `${forgeName} or the network is having trouble; try again later`,
          { status: failure.status, attempts: serverFailures },
        );
      }
      const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (serverFailures - 1));
      const waitMs = Math.max(backoff, Math.min(decision.waitMs ?? 0, options.maxDelayMs));
      context.onWait?.(`${forgeName} ${answer} for ${what}; retry ${serverFailures + 1}/${options.maxAttempts} in ${formatDuration(waitMs / 1000)}`);
      await options.sleep(waitMs);
    }
  }
}

/**
 * The HTTP status of a refusal that trying again will not change, or undefined: a 4xx other than
 * 401 (the token, which concerns every pull request, not one), 408 and 429, and not a rate limit
 * (those carry `retryAt`). 404 (a commit or pull request gone), 422 (the forge refuses the
 * content) and 403 (a locked conversation, a permission) are the usual ones.
 */
export function permanentRefusal(error: unknown): number | undefined {
  if (!isRefciError(error)) return undefined;
  const status = error.details?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500 || [401, 408, 429].includes(status)) return undefined;
  return error.details?.retryAt === undefined ? status : undefined;
}

/**
 * The hourly write budget of the main host on one forge (pure). GitHub allows at most 80
 * content-creating requests a minute and 500 an hour per user; past that it answers with
 * secondary rate limits. refci keeps a log of the writes it made in the last hour (statuses and
 * comments) and spends it in two kinds:
 *
 * - `verdict`: what a contributor waits for (the final status, the report comment, the notice of
 *   a changed verdict, the `noci` skip). Allowed while the hour's writes of both kinds stay under
 *   `writesPerHour`;
 * - `progress`: "queued, position N" and "running on <worker>". Allowed only while, in addition,
 *   the hour's progress writes stay under `progressPerHour`, a share well below `writesPerHour`,
 *   so progress can never eat the room verdicts need.
 *
 * The log is plain data; the caller keeps it in its state file (each cron run is a new process).
 */

export type WriteKind = 'verdict' | 'progress';

export interface WriteBudgetLimits {
  /** Writes of both kinds in any hour (default 300, well under GitHub's 500). */
  writesPerHour: number;
  /** Progress writes ("queued, position N", "running on …") in any hour (default 60). */
  progressPerHour: number;
}

export const DEFAULT_WRITE_BUDGET: WriteBudgetLimits = { writesPerHour: 300, progressPerHour: 60 };

/** Writes made, oldest first: `[time in ms, kind]`. */
export interface WriteLog {
  writes: Array<[number, WriteKind]>;
}

export const HOUR_MS = 3_600_000;

export function emptyWriteLog(): WriteLog {
  return { writes: [] };
}

/** Drops writes older than an hour (and anything malformed a damaged state file holds). */
export function pruneWriteLog(log: WriteLog, now: number): void {
  const writes = Array.isArray(log.writes) ? log.writes : [];
  log.writes = writes.filter((w) => Array.isArray(w) && typeof w[0] === 'number' && w[0] > now - HOUR_MS && w[0] <= now + HOUR_MS && (w[1] === 'verdict' || w[1] === 'progress'));
}

export interface Spent {
  all: number;
  progress: number;
}

export function spentInHour(log: WriteLog, now: number): Spent {
  pruneWriteLog(log, now);
  return { all: log.writes.length, progress: log.writes.filter((w) => w[1] === 'progress').length };
}

/** How many more writes of this kind the hour allows now. */
export function roomFor(kind: WriteKind, log: WriteLog, limits: WriteBudgetLimits, now: number): number {
  const spent = spentInHour(log, now);
  const all = Math.max(0, limits.writesPerHour - spent.all);
  return kind === 'verdict' ? all : Math.min(all, Math.max(0, limits.progressPerHour - spent.progress));
}

export function recordWrite(log: WriteLog, kind: WriteKind, now: number, count = 1): void {
  pruneWriteLog(log, now);
  for (let i = 0; i < count; i++) log.writes.push([now, kind]);
}

/** When the oldest write of the hour leaves it (room opens again), as ms; undefined when there is room. */
export function nextRoomAt(kind: WriteKind, log: WriteLog, limits: WriteBudgetLimits, now: number): number | undefined {
  if (roomFor(kind, log, limits, now) > 0) return undefined;
  // The whole hour is spent: the oldest write frees room; else only progress is, and its oldest does.
  const wholeSpent = roomFor('verdict', log, limits, now) === 0;
  const oldest = log.writes.find((w) => wholeSpent || w[1] === 'progress');
  return (oldest?.[0] ?? now) + HOUR_MS;
}

/** Limits from options, checked: whole numbers, progress no more than the whole. */
export function writeBudgetLimits(given: Partial<WriteBudgetLimits> = {}): WriteBudgetLimits {
  const writesPerHour = given.writesPerHour ?? DEFAULT_WRITE_BUDGET.writesPerHour;
  const progressPerHour = Math.min(given.progressPerHour ?? DEFAULT_WRITE_BUDGET.progressPerHour, writesPerHour);
  return { writesPerHour, progressPerHour };
}

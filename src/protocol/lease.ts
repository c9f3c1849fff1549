/**
 * Lease expiry without synchronised clocks: an observer never compares a time
 * written by another host with its own. It remembers when it first saw a lock
 * tip; the lock is stale once that same tip has stayed unchanged for the lease
 * length on the observer's own clock. A heartbeat moves the tip and resets the
 * count. The observations are kept on disk between cron runs.
 */
export interface SeenLock {
  tip: string;
  firstSeenMs: number;
}
export type SeenLocks = Record<string, SeenLock>;

/** Records the current lock tips; forgets locks that are gone. */
export function observeLocks(previous: SeenLocks, tips: ReadonlyMap<string, string>, nowMs: number): SeenLocks {
  const next: SeenLocks = {};
  for (const [id, tip] of tips) {
    const seen = previous[id];
    next[id] = seen && seen.tip === tip && seen.firstSeenMs <= nowMs ? seen : { tip, firstSeenMs: nowMs };
  }
  return next;
}

export function unchangedForMs(seen: SeenLock | undefined, nowMs: number): number {
  return seen ? Math.max(0, nowMs - seen.firstSeenMs) : 0;
}

export function isLeaseExpired(seen: SeenLock | undefined, leaseSec: number, nowMs: number): boolean {
  return seen !== undefined && unchangedForMs(seen, nowMs) >= leaseSec * 1000;
}

/** Heartbeats come three times a lease, so one lost push does not cost the lease. */
export function heartbeatIntervalMs(leaseSec: number): number {
  return Math.max(200, Math.floor((leaseSec * 1000) / 3));
}

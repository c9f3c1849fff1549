import { firstParentLog } from '../git/log.ts';
import { lockOf, stateOf, type Snapshot } from '../protocol/snapshot.ts';
import type { CoordClone } from './clone.ts';

/** How far down a lock chain to look for the attempt's start: heartbeats of a day-long job at a 10 s interval. */
const MAX_CHAIN = 10_000;

/**
 * When the current attempt of each running job began, on its holder's clock:
 * the lock record itself when it is the claim or takeover, otherwise the
 * newest commit down the lock chain's first parents whose `Refci-Event`
 * trailer says claim or takeover.
 */
export async function attemptStarts(clone: CoordClone, snapshot: Snapshot): Promise<Map<string, number>> {
  const starts = new Map<string, number>();
  for (const live of snapshot.values()) {
    const state = stateOf(live);
    if ((state !== 'running' && state !== 'cancelling') || !live.lock) continue;
    const lock = lockOf(live);
    if (lock && lock.event !== 'heartbeat') {
      starts.set(live.id, Date.parse(lock.at));
      continue;
    }
    const chain = await firstParentLog(clone.gitdir, live.lock.oid, MAX_CHAIN).catch(() => []);
    const start = chain.find((entry) => ['claim', 'takeover'].includes(entry.trailers['Refci-Event'] ?? ''));
    if (start && start.committedSec > 0) starts.set(live.id, start.committedSec * 1000);
  }
  return starts;
}

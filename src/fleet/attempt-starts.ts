import type { CoordClone } from '../git/clone.ts';
import { git } from '../git/run.ts';
import { lockOf, stateOf, type Snapshot } from '../protocol/snapshot.ts';

/**
 * When the current attempt of each running job began, on its holder's clock:
 * the lock record itself when it is the claim or takeover, otherwise the
 * newest claim or takeover commit down the lock chain's first parents.
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
    const out = await git(['log', '--first-parent', '-n1', '-E', '--grep=^(claim|takeover) ', '--format=%ct', live.lock.oid], {
      cwd: clone.gitdir,
      allowFailure: true,
    });
    const sec = Number(out.stdout.trim());
    if (out.exitCode === 0 && sec > 0) starts.set(live.id, sec * 1000);
  }
  return starts;
}

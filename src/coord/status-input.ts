import { CONFIG_REF, liveRefspecs } from '../protocol/refs.ts';
import type { StatusInput } from '../status/report.ts';
import { attemptStarts } from './attempt-starts.ts';
import type { CoordClone } from './clone.ts';
import { readDrains } from './drain.ts';
import { readHistory } from './history.ts';
import { readPresences } from './presence.ts';
import { readLiveRefs } from './snapshot.ts';

/**
 * What `refci status` and `refci site` show, from one fetch of the live refs,
 * the history, presence, drain flags and the configuration branch. Only the
 * newest `historyLimit` archived jobs are read.
 */
export async function readStatusInput(clone: CoordClone, nowMs: number, historyLimit: number): Promise<Omit<StatusInput, 'windowHours'>> {
  await clone.fetch(liveRefspecs({ history: true, workers: true, drain: true, config: true }));
  const { snapshot, ignored } = await readLiveRefs(clone);
  return {
    snapshot,
    ignoredRefs: ignored,
    nowMs,
    presences: await readPresences(clone),
    drains: await readDrains(clone),
    history: await readHistory(clone, historyLimit),
    attemptStarts: await attemptStarts(clone, snapshot),
    configCommit: await clone.ref(CONFIG_REF),
  };
}

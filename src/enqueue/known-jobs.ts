/**
 * What the coordination repository already holds about a job id: live refs or an archived
 * summary. Reads only the history tip's tree (one `git cat-file --batch` per round), never the
 * whole history.
 */
import type { CoordClone } from '../coord/clone.ts';
import { archivedSummaries } from '../coord/history.ts';
import type { Summary } from '../protocol/history.ts';
import { jobIdFor, type JobIdentity } from '../protocol/ids.ts';
import type { Snapshot } from '../protocol/snapshot.ts';

/**
 * Every archived run of one identity: retry 0, 1, 2 … as long as the ids are in the history
 * (ids of retries are consecutive, see `firstFreeRetry`). One read per round for all identities.
 */
export async function archivedRuns(clone: CoordClone, identities: Omit<JobIdentity, 'retry'>[]): Promise<Map<number, Array<{ id: string; retry: number; summary: Summary }>>> {
  const runs = new Map<number, Array<{ id: string; retry: number; summary: Summary }>>();
  let open = identities.map((identity, index) => ({ identity, index, retry: 0 }));
  for (let round = 0; open.length > 0 && round < 100; round++) {
    const ids = open.map((entry) => jobIdFor({ ...entry.identity, retry: entry.retry }));
    const found = await archivedSummaries(clone, ids);
    const next: typeof open = [];
    open.forEach((entry, i) => {
      const summary = found.get(ids[i]!);
      if (!summary) return;
      runs.set(entry.index, [...(runs.get(entry.index) ?? []), { id: ids[i]!, retry: entry.retry, summary }]);
      next.push({ ...entry, retry: entry.retry + 1 });
    });
    open = next;
  }
  return runs;
}

/**
 * The smallest retry number, at least `from`, whose id is neither live nor archived, for each
 * identity. Retry 0 is the plain id.
 */
export async function firstFreeRetry(clone: CoordClone, snapshot: Snapshot, identities: Omit<JobIdentity, 'retry'>[], from = 0): Promise<number[]> {
  const retries = identities.map(() => from);
  let open = identities.map((_, index) => index);
  for (let round = 0; open.length > 0 && round < 100; round++) {
    const ids = open.map((index) => jobIdFor({ ...identities[index]!, retry: retries[index] }));
    const archived = await archivedSummaries(clone, ids);
    const still: number[] = [];
    open.forEach((index, i) => {
      if (snapshot.has(ids[i]!) || archived.has(ids[i]!)) {
        retries[index]! += 1;
        still.push(index);
      }
    });
    open = still;
  }
  return retries;
}

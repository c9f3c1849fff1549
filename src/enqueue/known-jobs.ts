/**
 * What the coordination repository already holds about a job id: live refs or an archived
 * summary. Reads only the history tip's tree (one `git cat-file --batch` per round), never the
 * whole history.
 */
import type { CoordClone } from '../git/clone.ts';
import { readFiles } from '../git/objects.ts';
import { decodeSummary, summaryPath, type Summary } from '../protocol/history.ts';
import { jobIdFor, normaliseRepoUrl, type JobIdentity } from '../protocol/ids.ts';
import { decodeJob, JOB_FILE, type JobDescriptor } from '../protocol/job.ts';
import { HISTORY_REF } from '../protocol/refs.ts';
import type { Snapshot } from '../protocol/snapshot.ts';

/** The archived summaries of those `ids` that the history branch holds. */
export async function archivedSummaries(clone: CoordClone, ids: string[]): Promise<Map<string, Summary>> {
  const out = new Map<string, Summary>();
  const tip = await clone.ref(HISTORY_REF);
  if (!tip || ids.length === 0) return out;
  const unique = [...new Set(ids)];
  const specs = unique.map((id) => `${tip}:${summaryPath(id)}`);
  const files = await readFiles(clone.gitdir, specs, 64 * 1024);
  unique.forEach((id, index) => {
    const outcome = files.get(specs[index]!);
    if (outcome?.kind !== 'ok') return;
    const decoded = decodeSummary(outcome.content);
    // An unreadable summary still means the id is taken.
    out.set(id, decoded.ok ? decoded.value : { version: 1, job: id, verdict: 'error', reason: decoded.reason, archivedAt: '1970-01-01T00:00:00Z', reports: [] });
  });
  return out;
}

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

/** The job record of an archived job, read from its job commit (which the history keeps reachable). */
export async function readArchivedJob(clone: CoordClone, id: string): Promise<{ job?: JobDescriptor; summary?: Summary; problem?: string }> {
  const summary = (await archivedSummaries(clone, [id])).get(id);
  if (!summary) return {};
  if (!summary.jobCommit) return { summary, problem: `the history entry of ${id} names no job commit` };
  const spec = `${summary.jobCommit}:${JOB_FILE}`;
  const outcome = (await readFiles(clone.gitdir, [spec], 64 * 1024)).get(spec);
  if (outcome?.kind !== 'ok') return { summary, problem: `the job commit ${summary.jobCommit.slice(0, 12)} of ${id} cannot be read` };
  const decoded = decodeJob(outcome.content);
  return decoded.ok ? { job: decoded.value, summary } : { summary, problem: `the job record of ${id} is unreadable: ${decoded.reason}` };
}

/** Host and path of a repository URL (`https://host/a/b.git`, `ssh://git@host/a/b`, `git@host:a/b`), lower-case. */
export function repoLocation(url: string): { host: string; path: string } | undefined {
  const text = url.trim();
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/]+)\/(.*)$/i.exec(text) ?? /^(?:[^@/:]+@)?([^:/]+):(?!\/)(.+)$/.exec(text);
  if (!match) return undefined;
  const host = match[1]!.toLowerCase().replace(/:(22|80|443)$/, '');
  const path = match[2]!.replace(/\/+$/, '').replace(/\.git$/, '').replace(/^\/+/, '').toLowerCase();
  return { host, path };
}

/**
 * True when two URLs name the same repository: same host and path whatever the transport
 * (https, ssh, scp-like), user, `.git` or trailing slash; plain paths must match as normalised.
 */
export function sameRepository(a: string, b: string): boolean {
  const x = repoLocation(a);
  const y = repoLocation(b);
  if (x && y) return x.host === y.host && x.path === y.path;
  return normaliseRepoUrl(a) === normaliseRepoUrl(b);
}

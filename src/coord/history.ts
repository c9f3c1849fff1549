import { readFiles } from '../git/cat-file.ts';
import { firstParentLog } from '../git/log.ts';
import { MAX_RECORD_BYTES } from '../protocol/codec.ts';
import { JOB, type JobDescriptor } from '../protocol/job.ts';
import { decodeAs } from '../protocol/record-kind.ts';
import { SUMMARY, summaryPath, type Summary } from '../protocol/history.ts';
import { HISTORY_REF } from '../protocol/refs.ts';
import type { CoordClone } from './clone.ts';
import { readRecords } from './records.ts';

/** Ids among `ids` that the history branch already holds. */
export async function archivedIds(clone: CoordClone, ids: string[]): Promise<Set<string>> {
  const tip = await clone.ref(HISTORY_REF);
  if (!tip || ids.length === 0) return new Set();
  const specs = ids.map((id) => `${tip}:${summaryPath(id)}`);
  // A limit of zero bytes asks only whether each file exists, without reading it.
  const found = await readFiles(clone.gitdir, specs, 0);
  return new Set(ids.filter((_, index) => found.get(specs[index])?.kind !== 'missing'));
}

/**
 * The newest `limit` archived jobs, newest first: the first-parent chain of
 * the history branch, each archive commit naming its job in a `Refci-Job`
 * trailer, its summary read from that commit's tree.
 */
export async function readHistory(clone: CoordClone, limit: number): Promise<Summary[]> {
  const tip = await clone.ref(HISTORY_REF);
  if (!tip) return [];
  const specs: string[] = [];
  for (const entry of await firstParentLog(clone.gitdir, tip, limit)) {
    const job = entry.trailers['Refci-Job'];
    if (entry.trailers['Refci-Kind'] === SUMMARY.name && job) specs.push(`${entry.oid}:${summaryPath(job)}`);
  }
  const files = await readFiles(clone.gitdir, specs, 64 * 1024);
  const summaries: Summary[] = [];
  for (const spec of specs) {
    const outcome = files.get(spec);
    if (outcome?.kind !== 'ok') continue;
    const decoded = decodeAs(SUMMARY, outcome.content);
    if (decoded.ok) summaries.push(decoded.value);
  }
  return summaries;
}

/** The archived summaries of those `ids` that the history branch holds. */
export async function archivedSummaries(clone: CoordClone, ids: string[]): Promise<Map<string, Summary>> {
  const out = new Map<string, Summary>();
  const tip = await clone.ref(HISTORY_REF);
  if (!tip || ids.length === 0) return out;
  const unique = [...new Set(ids)];
  const specs = unique.map((id) => `${tip}:${summaryPath(id)}`);
  const files = await readFiles(clone.gitdir, specs, MAX_RECORD_BYTES);
  unique.forEach((id, index) => {
    const outcome = files.get(specs[index]!);
    if (outcome?.kind !== 'ok') return;
    const decoded = decodeAs(SUMMARY, outcome.content);
    // An unreadable summary still means the id is taken.
    out.set(id, decoded.ok ? decoded.value : { version: 1, job: id, verdict: 'error', reason: decoded.reason, archivedAt: '1970-01-01T00:00:00Z', reports: [] });
  });
  return out;
}

/** The job record of an archived job, read from its job commit (which the history keeps reachable). */
export async function readArchivedJob(clone: CoordClone, id: string): Promise<{ job?: JobDescriptor; summary?: Summary; problem?: string }> {
  const summary = (await archivedSummaries(clone, [id])).get(id);
  if (!summary) return {};
  if (!summary.jobCommit) return { summary, problem: `the history entry of ${id} names no job commit` };
  const decoded = (await readRecords(clone.gitdir, JOB, [summary.jobCommit])).get(summary.jobCommit)!;
  return decoded.ok ? { job: decoded.value, summary } : { summary, problem: `the job record of ${id} cannot be read: ${decoded.reason}` };
}

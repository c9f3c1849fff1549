import { RESULT, type ResultRecord } from '../protocol/result.ts';
import type { CoordClone } from './clone.ts';
import { archivedSummaries } from './history.ts';
import { readRecord } from './records.ts';
import { readSnapshot } from './snapshot.ts';

/** A step log read back from a result commit is shown whole up to this size (a result's logs are capped when written). */
const MAX_LOG_BYTES = 64 * 1024 * 1024;

export interface JobLogs {
  /** Where the result was found: still live, or in the history. */
  source: 'live' | 'history';
  result: ResultRecord;
  steps: { name: string; exitCode: number | null; durationMs: number; timedOut: boolean; log?: string }[];
}

/**
 * The step logs of a finished job, from its result commit, whether the job
 * is still live or archived (the history keeps the result commit reachable).
 * Needs a clone that fetched the live refs and the history. Undefined when the
 * job has no result (queued, running, cancelled before it ran, or unknown).
 */
export async function readJobLogs(clone: CoordClone, id: string): Promise<JobLogs | undefined> {
  const live = (await readSnapshot(clone)).get(id);
  let resultOid = live?.result?.oid;
  let source: JobLogs['source'] = 'live';
  if (!resultOid) {
    resultOid = (await archivedSummaries(clone, [id])).get(id)?.resultCommit;
    source = 'history';
  }
  if (!resultOid) return undefined;
  const result = await readRecord(clone.gitdir, RESULT, resultOid);
  if (!result) return undefined;
  const steps: JobLogs['steps'] = [];
  for (const step of result.steps) {
    const log = step.log ? await clone.readFile(resultOid, step.log, MAX_LOG_BYTES) : undefined;
    steps.push({ name: step.name, exitCode: step.exitCode, durationMs: step.durationMs, timedOut: step.timedOut, log: log?.toString('utf8') });
  }
  return { source, result, steps };
}

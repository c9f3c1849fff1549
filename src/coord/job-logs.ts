import { readFiles } from '../git/cat-file.ts';
import type { Summary } from '../protocol/history.ts';
import { decodeLiveLogIndex, LIVE_LOGS_FILE, MAX_LIVE_LOG_BYTES, type LiveLogStep } from '../protocol/live-log.ts';
import { LOCK, type LockRecord } from '../protocol/lock.ts';
import { decodeAs } from '../protocol/record-kind.ts';
import { MAX_RECORD_BYTES } from '../protocol/codec.ts';
import { cancelRef, jobRef, lockRef, resultRef } from '../protocol/refs.ts';
import { RESULT, type ResultRecord } from '../protocol/result.ts';
import type { CoordClone } from './clone.ts';
import { archivedSummaries } from './history.ts';
import { readRecord } from './records.ts';

/** A step log read back from a result commit is shown whole up to this size (a result's logs are capped when written). */
const MAX_LOG_BYTES = 64 * 1024 * 1024;

export interface JobLogs {
  /** Where the result was found: still live, or in the history. */
  source: 'live' | 'history';
  result: ResultRecord;
  steps: { name: string; exitCode: number | null; durationMs: number; timedOut: boolean; logBytes: number; logTruncated: boolean; log?: Buffer }[];
}

/** The live log of a running job: its lock tip's record and the step tails that commit carries (none on a claim or a release). */
export interface LiveJobLogs {
  lockOid: string;
  lock: LockRecord;
  steps: (LiveLogStep & { content: Buffer })[];
}

/**
 * What can be shown of one job's logs now:
 * - `finished`: its result, live or archived, with the step logs;
 * - `archived`: in the history without a result (cancelled before it ran);
 * - `running`: its lock chain's tip, with the live log it carries;
 * - `queued`: nothing ran yet; `cancelled`: cancelled before it ran, not archived yet;
 * - `unknown`: no such job in what the clone holds.
 */
export type JobLogState = OpenJobLogs | EndedJobLogs | { state: 'unknown' };
/** A job that has not ended yet. */
export type OpenJobLogs = { state: 'queued' } | { state: 'running'; live: LiveJobLogs };
/** A job that ended: nothing more will come. */
export type EndedJobLogs = { state: 'finished'; logs: JobLogs } | { state: 'archived'; summary: Summary } | { state: 'cancelled' };

/**
 * Reads one job's logs from the clone's refs: its live refs first, then (with
 * `history`) the history branch, which keeps an archived job's result commit
 * reachable. Reads only this job's refs, so a clone that fetched just them
 * (`refci logs --follow`) is enough.
 */
export async function readJobLogState(clone: CoordClone, id: string, options: { history: boolean }): Promise<JobLogState> {
  // One look at the job's refs; a tip that is not a commit (pushed by hand) counts as absent, as every host treats it.
  const refs = await clone.typedRefs(`refs/ci/*/${id}`);
  const tip = (ref: string) => (refs.get(ref)?.type === 'commit' ? refs.get(ref)!.oid : undefined);
  const resultOid = tip(resultRef(id));
  if (resultOid) {
    const logs = await readResultLogs(clone, id, resultOid, 'live');
    if (logs) return { state: 'finished', logs };
  }
  const [jobOid, lockOid, cancelOid] = [tip(jobRef(id)), tip(lockRef(id)), tip(cancelRef(id))];
  if (jobOid && lockOid) {
    const live = await readLiveLogs(clone, id, lockOid);
    if (live) return { state: 'running', live };
  }
  if (jobOid) return { state: cancelOid ? 'cancelled' : 'queued' };
  if (!options.history) return { state: 'unknown' };
  const summary = (await archivedSummaries(clone, [id])).get(id);
  if (!summary) return { state: 'unknown' };
  const logs = summary.resultCommit ? await readResultLogs(clone, id, summary.resultCommit, 'history') : undefined;
  return logs ? { state: 'finished', logs } : { state: 'archived', summary };
}

/** The step logs of a result commit; undefined when its record cannot be read or names another job. */
async function readResultLogs(clone: CoordClone, id: string, resultOid: string, source: JobLogs['source']): Promise<JobLogs | undefined> {
  const result = await readRecord(clone.gitdir, RESULT, resultOid);
  if (!result || result.job !== id) return undefined;
  const specs = result.steps.flatMap((step) => (step.log ? [`${resultOid}:${step.log}`] : []));
  const files = await readFiles(clone.gitdir, specs, MAX_LOG_BYTES);
  const steps = result.steps.map((step) => {
    const file = step.log ? files.get(`${resultOid}:${step.log}`) : undefined;
    const log = file?.kind === 'ok' ? file.content : undefined;
    return { name: step.name, exitCode: step.exitCode, durationMs: step.durationMs, timedOut: step.timedOut, logBytes: step.logBytes, logTruncated: step.logTruncated, log };
  });
  return { source, result, steps };
}

/**
 * The live log a lock commit carries (protocol/live-log.ts). It is advisory:
 * an index that cannot be read, or a tail that is missing, too large or not
 * the length the index gives, is left out rather than shown wrong.
 */
export async function readLiveLogs(clone: CoordClone, id: string, lockOid: string): Promise<LiveJobLogs | undefined> {
  const [lockSpec, indexSpec] = [`${lockOid}:${LOCK.file}`, `${lockOid}:${LIVE_LOGS_FILE}`];
  const records = await readFiles(clone.gitdir, [lockSpec, indexSpec], MAX_RECORD_BYTES);
  const lockFile = records.get(lockSpec);
  const decoded = lockFile?.kind === 'ok' ? decodeAs(LOCK, lockFile.content) : undefined;
  if (!decoded?.ok || decoded.value.job !== id) return undefined;
  const lock = decoded.value;
  const indexFile = records.get(indexSpec);
  const index = indexFile?.kind === 'ok' ? decodeLiveLogIndex(indexFile.content) : undefined;
  const listed = index?.ok ? index.value.steps : [];
  const files = await readFiles(clone.gitdir, listed.map((step) => `${lockOid}:${step.log}`), MAX_LIVE_LOG_BYTES);
  const steps: LiveJobLogs['steps'] = [];
  for (const step of listed) {
    const file = files.get(`${lockOid}:${step.log}`);
    if (file?.kind === 'ok' && file.content.length === step.to - step.from) steps.push({ ...step, content: file.content });
  }
  return { lockOid, lock, steps };
}

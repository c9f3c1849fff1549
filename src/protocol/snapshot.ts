import type { CancelRecord } from './cancel.ts';
import type { Decoded } from './codec.ts';
import type { JobDescriptor } from './job.ts';
import type { LockRecord } from './lock.ts';
import type { ResultRecord } from './result.ts';

/** One live ref's tip and the record stored in its commit. */
export interface RefEntry<T> {
  oid: string;
  record: Decoded<T>;
}

/** Everything the live refs say about one job id. */
export interface LiveJob {
  id: string;
  job?: RefEntry<JobDescriptor>;
  lock?: RefEntry<LockRecord>;
  result?: RefEntry<ResultRecord>;
  cancel?: RefEntry<CancelRecord>;
}

export type Snapshot = Map<string, LiveJob>;

export const JOB_STATES = ['queued', 'running', 'cancelling', 'cancelled', 'finished', 'malformed', 'orphan'] as const;
export type JobState = (typeof JOB_STATES)[number];

/**
 * A job's state is derived from which of its refs exist, never stored:
 *   job                  -> queued
 *   job + lock           -> running
 *   job + lock + cancel  -> cancelling (the holder stops at its next heartbeat)
 *   job + cancel         -> cancelled (waiting for the collector to archive it)
 *   job + result         -> finished (waiting for the collector)
 *   job unreadable       -> malformed (set aside with an error result by the next sweep)
 *   no job ref           -> orphan (refs pushed by hand; the collector archives them)
 */
export function stateOf(live: LiveJob): JobState {
  if (!live.job) return 'orphan';
  if (live.result) return 'finished';
  if (!live.job.record.ok) return 'malformed';
  if (live.cancel) return live.lock ? 'cancelling' : 'cancelled';
  if (live.lock) return 'running';
  return 'queued';
}

export function descriptorOf(live: LiveJob): JobDescriptor | undefined {
  return live.job?.record.ok ? live.job.record.value : undefined;
}

export function lockOf(live: LiveJob): LockRecord | undefined {
  return live.lock?.record.ok ? live.lock.record.value : undefined;
}

export function resultOf(live: LiveJob): ResultRecord | undefined {
  return live.result?.record.ok ? live.result.record.value : undefined;
}

export function countByState(snapshot: Snapshot): Record<JobState, number> {
  const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<JobState, number>;
  for (const live of snapshot.values()) counts[stateOf(live)] += 1;
  return counts;
}

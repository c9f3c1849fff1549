import type { CancelRecord } from './cancel.ts';
import type { JobDescriptor } from './job.ts';
import type { LockRecord } from './lock.ts';
import type { ResultRecord } from './result.ts';

/**
 * One-line commit messages: `git log` of the coordination repository is the
 * audit trail a person reads, so each line says who did what to which job.
 */
const short = (oid: string) => oid.slice(0, 12);

export function enqueueMessage(job: JobDescriptor): string {
  const what = job.pr === undefined ? `head ${short(job.head)}` : `PR #${job.pr} head ${short(job.head)}`;
  return `enqueue ${job.id}: ${what} onto ${short(job.base)} (pipeline ${job.pipeline}, priority ${job.priority})`;
}

export function lockMessage(lock: LockRecord): string {
  switch (lock.event) {
    case 'claim':
      return `claim ${lock.job} by ${lock.worker}, attempt ${lock.attempt}, lease ${lock.leaseSec}s`;
    case 'takeover':
      return `takeover ${lock.job} by ${lock.worker} from ${lock.previousWorker ?? 'unknown'}, attempt ${lock.attempt}, lease ${lock.leaseSec}s`;
    case 'heartbeat':
      return `heartbeat ${lock.job} by ${lock.worker}, attempt ${lock.attempt}`;
  }
}

export function resultMessage(result: ResultRecord): string {
  const seconds = (result.durationMs / 1000).toFixed(1);
  return `result ${result.job}: ${result.status} by ${result.worker}, attempt ${result.attempt} (${seconds}s): ${oneLine(result.reason)}`;
}

export function cancelMessage(cancel: CancelRecord): string {
  return `cancel ${cancel.job} by ${cancel.by}: ${oneLine(cancel.reason)}`;
}

export function archiveMessage(id: string, verdict: string, reason: string): string {
  return `archive ${id}: ${verdict}: ${oneLine(reason)}`;
}

export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

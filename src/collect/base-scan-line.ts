import { JOB_ID_PATTERN } from '../protocol/ids.ts';

/**
 * Whether the base side of a check came from an earlier job's scan, in one
 * line for a contributor, from what the worker recorded
 * (`details.baseScanCache.reused`, docs/protocol.md 2.3): "scan-base reused
 * from job pr7-0d167b126d5cd49b (same base commit, targets, tool versions and
 * configuration)". The record comes from a worker: entries whose step name or
 * job id is not of the expected shape are left out. Pure.
 */
const STEP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function baseScanLine(details: Record<string, unknown>): string | undefined {
  const record = details.baseScanCache as { reused?: unknown } | undefined;
  if (!record || typeof record !== 'object' || !Array.isArray(record.reused)) return undefined;
  const reused = (record.reused as Array<{ step?: unknown; fromJob?: unknown }>).filter(
    (entry): entry is { step: string; fromJob: string } =>
      typeof entry?.step === 'string' && STEP_NAME.test(entry.step) && typeof entry.fromJob === 'string' && JOB_ID_PATTERN.test(entry.fromJob),
  );
  if (reused.length === 0) return undefined;
  const jobs = [...new Set(reused.map((entry) => entry.fromJob))];
  const from = jobs.length === 1 ? `${reused.map((entry) => entry.step).join(', ')} reused from job ${jobs[0]}` : reused.map((entry) => `${entry.step} reused from job ${entry.fromJob}`).join('; ');
  return `${from} (same base commit, targets, tool versions and configuration)`;
}

import * as z from './zod.ts';
import { isoTime, safeString } from './codec.ts';
import { oneLine } from './messages.ts';
import { defineRecordKind } from './record-kind.ts';
import { HISTORY_REF } from './refs.ts';
import { VERDICT_STATUSES } from './verdict.ts';
import { historyShard, JOB_ID_PATTERN } from './ids.ts';

/** Where a finished job lives in the history branch's tree. */
export function historyPath(id: string): string[] {
  return ['jobs', historyShard(id), id];
}

export function summaryPath(id: string): string {
  return `${historyPath(id).join('/')}/${SUMMARY.file}`;
}

/** The history entry of a finished job: the verdict a contributor saw and where its records are. */
export const summarySchema = z.strictObject({
  version: z.literal(1),
  job: z.string().regex(JOB_ID_PATTERN),
  verdict: z.enum(VERDICT_STATUSES),
  reason: safeString(4096),
  pipeline: safeString(64).optional(),
  repo: safeString(1024).optional(),
  pr: z.number().int().optional(),
  head: safeString(64).optional(),
  base: safeString(64).optional(),
  worker: safeString(64).optional(),
  attempt: z.number().int().optional(),
  enqueuedAt: isoTime.optional(),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  archivedAt: isoTime,
  jobCommit: safeString(64).optional(),
  resultCommit: safeString(64).optional(),
  cancelCommit: safeString(64).optional(),
  reports: z.array(safeString(256)).default([]),
});
export type Summary = z.output<typeof summarySchema>;

/**
 * A history entry: an archive commit on the first-parent chain of
 * `refs/ci/history`; the summary sits at `jobs/<shard>/<id>/summary.json` of
 * its tree (`historyPath`), the job's records are its other parents.
 */
export const SUMMARY = defineRecordKind<Summary>({
  name: 'archive',
  file: 'summary.json',
  schema: summarySchema,
  ref: () => HISTORY_REF,
  subject: (summary) => `archive ${summary.job}: ${summary.verdict}: ${oneLine(summary.reason)}`,
  trailers: (summary) => ({ 'Refci-Job': summary.job, 'Refci-Verdict': summary.verdict }),
});

import * as z from './zod.ts';
import { isoTime, safeString } from './codec.ts';
import { oneLine } from './messages.ts';
import { defineRecordKind } from './record-kind.ts';
import { resultRef } from './refs.ts';
import { JOB_ID_PATTERN } from './ids.ts';

export const RESULT_STATUSES = ['success', 'failure', 'error', 'cancelled'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

export const stepReportSchema = z.strictObject({
  name: safeString(128),
  argv: z.array(safeString(4096)).max(256),
  exitCode: z.number().int().nullable(),
  signal: safeString(32).nullable().default(null),
  timedOut: z.boolean(),
  cancelled: z.boolean().default(false),
  durationMs: z.number().int().min(0),
  log: safeString(256).optional(),
  logBytes: z.number().int().min(0).default(0),
  logTruncated: z.boolean().default(false),
  sandboxed: z.boolean().default(false),
});
export type StepReport = z.output<typeof stepReportSchema>;

/**
 * What a worker (or a sweep that gives up on a job) reports. `status` is about
 * the pipeline run; the verdict a contributor sees is the collector's, which
 * may look deeper (the QA diff of the gentoo pipeline).
 */
export const resultSchema = z.strictObject({
  version: z.literal(1),
  job: z.string().regex(JOB_ID_PATTERN),
  status: z.enum(RESULT_STATUSES),
  reason: safeString(4096),
  worker: safeString(64),
  attempt: z.number().int().min(0),
  startedAt: isoTime,
  finishedAt: isoTime,
  durationMs: z.number().int().min(0),
  tools: z.record(z.string().max(64), safeString(256)).default({}),
  steps: z.array(stepReportSchema).max(64).default([]),
  artifacts: z.array(safeString(256)).max(256).default([]),
  sandboxed: z.boolean().default(false),
  configCommit: safeString(64).optional(),
  /** Pipeline-specific facts (scan targets, merge basis, ...). */
  details: z.record(z.string(), z.unknown()).default({}),
});
export type ResultRecord = z.output<typeof resultSchema>;

/** A job's result: the commit on `refs/ci/results/<id>` (its tree also holds the artifacts). */
export const RESULT = defineRecordKind<ResultRecord>({
  name: 'result',
  file: 'result.json',
  schema: resultSchema,
  ref: resultRef,
  subject: (result) => {
    const seconds = (result.durationMs / 1000).toFixed(1);
    return `result ${result.job}: ${result.status} by ${result.worker}, attempt ${result.attempt} (${seconds}s): ${oneLine(result.reason)}`;
  },
  trailers: (result) => ({ 'Refci-Job': result.job, 'Refci-Status': result.status, 'Refci-Attempt': String(result.attempt) }),
});

import * as z from './zod.ts';
import { isoTime, safeString } from './codec.ts';
import { oneLine } from './messages.ts';
import { defineRecordKind } from './record-kind.ts';
import { cancelRef } from './refs.ts';
import { JOB_ID_PATTERN } from './ids.ts';

/** A request to stop a job: a queued job is never claimed, a running one stops at its next heartbeat. */
export const cancelSchema = z.strictObject({
  version: z.literal(1),
  job: z.string().regex(JOB_ID_PATTERN),
  reason: safeString(1024),
  by: safeString(128),
  at: isoTime,
  supersededBy: z.string().regex(JOB_ID_PATTERN).optional(),
});
export type CancelRecord = z.output<typeof cancelSchema>;

/** A cancel request: a commit on `refs/ci/cancel/<id>` whose parent is the job. */
export const CANCEL = defineRecordKind<CancelRecord>({
  name: 'cancel',
  file: 'cancel.json',
  schema: cancelSchema,
  ref: cancelRef,
  subject: (cancel) => `cancel ${cancel.job} by ${cancel.by}: ${oneLine(cancel.reason)}`,
  trailers: (cancel) => ({ 'Refci-Job': cancel.job }),
});

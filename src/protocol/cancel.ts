import { z } from 'zod';
import { decodeRecord, encodeRecord, isoTime, safeString, type Decoded } from './codec.ts';
import { JOB_ID_PATTERN } from './ids.ts';

export const CANCEL_FILE = 'cancel.json';

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

export function decodeCancel(text: string | Buffer): Decoded<CancelRecord> {
  return decodeRecord(CANCEL_FILE, text, cancelSchema);
}

export function encodeCancel(cancel: CancelRecord): string {
  return encodeRecord(cancel);
}

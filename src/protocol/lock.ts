import { z } from 'zod';
import { decodeRecord, encodeRecord, isoTime, safeString, type Decoded } from './codec.ts';
import { JOB_ID_PATTERN, NAME_PATTERN } from './ids.ts';

export const LOCK_FILE = 'lock.json';

export const LOCK_EVENTS = ['claim', 'heartbeat', 'takeover'] as const;
export type LockEvent = (typeof LOCK_EVENTS)[number];

/**
 * One commit on a job's lock ref. The nonce makes every lock commit unique:
 * two workers writing the same claim would otherwise make the same commit, and
 * the loser's push would report "up to date" and exit 0.
 */
export const lockSchema = z.strictObject({
  version: z.literal(1),
  job: z.string().regex(JOB_ID_PATTERN),
  event: z.enum(LOCK_EVENTS),
  worker: z.string().regex(NAME_PATTERN),
  host: safeString(256),
  attempt: z.number().int().min(1).max(100),
  leaseSec: z.number().int().min(1).max(24 * 3600),
  nonce: z.string().regex(/^[0-9a-f]{16,64}$/),
  at: isoTime,
  tools: z.record(z.string().max(64), safeString(256)).default({}),
  previousWorker: z.string().regex(NAME_PATTERN).optional(),
});

export type LockRecord = z.output<typeof lockSchema>;

export function decodeLock(text: string | Buffer): Decoded<LockRecord> {
  return decodeRecord(LOCK_FILE, text, lockSchema);
}

export function encodeLock(lock: LockRecord): string {
  return encodeRecord(lock);
}

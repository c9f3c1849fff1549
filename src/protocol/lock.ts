import * as z from './zod.ts';
import { isoTime, safeString } from './codec.ts';
import { defineRecordKind } from './record-kind.ts';
import { lockRef } from './refs.ts';
import { JOB_ID_PATTERN, NAME_PATTERN } from './ids.ts';

export const LOCK_EVENTS = ['claim', 'heartbeat', 'takeover', 'release'] as const;
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
  /**
   * On a release: why each attempt so far could not run, this one last. A
   * release hands the job back at once, with its attempt counted, for a
   * failure of this host's tools or sandbox that is not the job's fault.
   */
  reasons: z.array(safeString(1000)).min(1).max(100).optional(),
});

export type LockRecord = z.output<typeof lockSchema>;

/** A claim, takeover or heartbeat: one commit of the chain on `refs/ci/locks/<id>`. */
export const LOCK = defineRecordKind<LockRecord>({
  name: 'lock',
  file: 'lock.json',
  schema: lockSchema,
  ref: lockRef,
  subject: (lock) => {
    switch (lock.event) {
      case 'claim':
        return `claim ${lock.job} by ${lock.worker}, attempt ${lock.attempt}, lease ${lock.leaseSec}s`;
      case 'takeover':
        return `takeover ${lock.job} by ${lock.worker} from ${lock.previousWorker ?? 'unknown'}, attempt ${lock.attempt}, lease ${lock.leaseSec}s`;
      case 'heartbeat':
        return `heartbeat ${lock.job} by ${lock.worker}, attempt ${lock.attempt}`;
      case 'release':
        return `release ${lock.job} by ${lock.worker}, attempt ${lock.attempt}: ${lock.reasons?.at(-1) ?? 'CI infrastructure problem'}`;
    }
  },
  trailers: (lock) => ({ 'Refci-Job': lock.job, 'Refci-Event': lock.event, 'Refci-Worker': lock.worker, 'Refci-Attempt': String(lock.attempt) }),
});

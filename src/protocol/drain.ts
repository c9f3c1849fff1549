import * as z from './zod.ts';
import { isoTime, safeString } from './codec.ts';
import { NAME_PATTERN } from './ids.ts';
import { oneLine } from './messages.ts';
import { defineRecordKind } from './record-kind.ts';
import { drainRef } from './refs.ts';

/**
 * A drain request: `refs/ci/drain/<worker>` exists. The worker finishes the
 * job it runs and claims no more until the ref is deleted (undrain). The ref
 * counts whatever it holds: a person may push any commit there.
 */
export const drainSchema = z.strictObject({
  version: z.literal(1),
  worker: z.string().regex(NAME_PATTERN),
  by: safeString(256),
  at: isoTime,
  reason: safeString(1024),
});
export type DrainRecord = z.output<typeof drainSchema>;

export const DRAIN = defineRecordKind<DrainRecord>({
  name: 'drain',
  file: 'drain.json',
  schema: drainSchema,
  ref: drainRef,
  subject: (drain) => `drain ${drain.worker} by ${drain.by}: ${oneLine(drain.reason)}`,
  trailers: (drain) => ({ 'Refci-Worker': drain.worker }),
});

import { z } from 'zod';
import type { CoordClone } from '../git/clone.ts';
import { readFiles, writeRecordCommit } from '../git/objects.ts';
import { RefciError } from '../errors.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { decodeRecord, encodeRecord, isoTime, MAX_RECORD_BYTES, safeString, type Decoded } from '../protocol/codec.ts';
import { NAME_PATTERN } from '../protocol/ids.ts';
import { oneLine } from '../protocol/messages.ts';
import { drainRef } from '../protocol/refs.ts';

export const DRAIN_FILE = 'drain.json';

/**
 * A drain request: `refs/ci/drain/<worker>` exists. The worker finishes the
 * job it runs and claims no more until the ref is deleted (undrain).
 */
export const drainSchema = z.strictObject({
  version: z.literal(1),
  worker: z.string().regex(NAME_PATTERN),
  by: safeString(256),
  at: isoTime,
  reason: safeString(1024),
});
export type DrainRecord = z.output<typeof drainSchema>;

export function decodeDrain(text: string | Buffer): Decoded<DrainRecord> {
  return decodeRecord(DRAIN_FILE, text, drainSchema);
}

export interface DrainContext {
  clone: CoordClone;
  clock: Clock;
  by: string;
}

async function remoteTip(clone: CoordClone, ref: string): Promise<string | undefined> {
  await clone.fetch([`+${ref}*:${ref}*`]);
  return clone.ref(ref);
}

/** Creates the drain ref (create-only); false when the worker was already drained. */
export async function drainWorker(context: DrainContext, worker: string, reason: string): Promise<boolean> {
  const { clone, clock } = context;
  const ref = drainRef(worker);
  if (await remoteTip(clone, ref)) return false;
  const record: DrainRecord = { version: 1, worker, by: context.by, at: isoOf(clock.now()), reason };
  const oid = await writeRecordCommit(clone.gitdir, {
    files: { [DRAIN_FILE]: encodeRecord(record) },
    parents: [],
    message: `drain ${worker} by ${context.by}: ${oneLine(reason)}`,
    author: signatureFor('operator', context.by, clock.now()),
  });
  const pushed = await clone.push([{ ref, newOid: oid, expect: null }]);
  if (pushed.won) return true;
  if (await remoteTip(clone, ref)) return false;
  throw new RefciError('conflict', `the drain of ${worker} was refused: ${pushed.stderr.trim().split('\n').pop() ?? ''}`, 'run the command again');
}

/** Deletes the drain ref with a lease on what was read; false when the worker was not drained. */
export async function undrainWorker(context: DrainContext, worker: string): Promise<boolean> {
  const { clone } = context;
  const ref = drainRef(worker);
  const tip = await remoteTip(clone, ref);
  if (!tip) return false;
  const pushed = await clone.push([{ ref, newOid: null, expect: tip }]);
  if (pushed.won) return true;
  if (!(await remoteTip(clone, ref))) return false;
  throw new RefciError('conflict', `the undrain of ${worker} was refused: ${pushed.stderr.trim().split('\n').pop() ?? ''}`, 'run the command again');
}

/** Drain requests in a mirror that fetched `refs/ci/drain/*`, by worker. */
export async function readDrains(clone: CoordClone): Promise<Map<string, DrainRecord | undefined>> {
  const refs = await clone.refs('refs/ci/drain/');
  const entries = [...refs].map(([ref, oid]) => ({ worker: ref.slice('refs/ci/drain/'.length), spec: `${oid}:${DRAIN_FILE}` }));
  const files = await readFiles(clone.gitdir, entries.map((e) => e.spec), MAX_RECORD_BYTES);
  const drains = new Map<string, DrainRecord | undefined>();
  for (const { worker, spec } of entries) {
    const outcome = files.get(spec);
    const decoded = outcome?.kind === 'ok' ? decodeDrain(outcome.content) : undefined;
    // A drain ref counts whatever it holds: a person may have pushed any commit there.
    drains.set(worker, decoded?.ok ? decoded.value : undefined);
  }
  return drains;
}

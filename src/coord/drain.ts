import { RefciError } from '../errors.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { DRAIN, type DrainRecord } from '../protocol/drain.ts';
import { DRAIN_PREFIX, drainRef } from '../protocol/refs.ts';
import type { CoordClone } from './clone.ts';
import { pushFailure } from './push-failure.ts';
import { readRecords, writeRecord } from './records.ts';

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
  const oid = await writeRecord(clone.gitdir, DRAIN, record, { parents: [], author: signatureFor('operator', context.by, clock.now()) });
  const pushed = await clone.push([{ ref, newOid: oid, expect: null }]);
  if (pushed.won) return true;
  if (pushed.outcome === 'failed') throw pushFailure(`the drain of ${worker}`, pushed);
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
  if (pushed.outcome === 'failed') throw pushFailure(`the undrain of ${worker}`, pushed);
  if (!(await remoteTip(clone, ref))) return false;
  throw new RefciError('conflict', `the undrain of ${worker} was refused: ${pushed.stderr.trim().split('\n').pop() ?? ''}`, 'run the command again');
}

/** Drain requests in a mirror that fetched `refs/ci/drain/*`, by worker; a ref that holds no readable record still drains. */
export async function readDrains(clone: CoordClone): Promise<Map<string, DrainRecord | undefined>> {
  const refs = [...(await clone.refs(DRAIN_PREFIX))];
  const records = await readRecords(clone.gitdir, DRAIN, refs.map(([, oid]) => oid));
  const drains = new Map<string, DrainRecord | undefined>();
  for (const [ref, oid] of refs) {
    const decoded = records.get(oid);
    drains.set(ref.slice(DRAIN_PREFIX.length), decoded?.ok ? decoded.value : undefined);
  }
  return drains;
}

import { CoordClone } from '../coord/clone.ts';
import { pushFailure } from '../coord/push-failure.ts';
import { pushLanded } from '../coord/push-landed.ts';
import { archivedIds } from '../coord/history.ts';
import { readSnapshot } from '../coord/snapshot.ts';
import { writeRecord } from '../coord/records.ts';
import type { RefUpdate } from '../git/push.ts';
import { inPhase } from '../git/observe.ts';
import { RefciError } from '../errors.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { CANCEL } from '../protocol/cancel.ts';
import { JOB, type JobDescriptor } from '../protocol/job.ts';
import { cancelRef, CONFIG_REF, jobRef, liveRefspecs } from '../protocol/refs.ts';
import { planEnqueue, type CancelRequest, type EnqueuePlan } from './plan.ts';

export interface EnqueueContext {
  clone: CoordClone;
  clock: Clock;
  by: string;
}

const MAX_ROUNDS = 5;

/**
 * Writes the planned jobs and cancellations (supersedes, plus `options.cancel`)
 * in one atomic push, every ref create-only. Losing the race to another enqueuer means the refs moved:
 * fetch, plan again, push again.
 */
export function enqueueJobs(context: EnqueueContext, wanted: JobDescriptor[], options: { cancel?: CancelRequest[] } = {}): Promise<EnqueuePlan> {
  return inPhase('enqueue', () => enqueueOnce(context, wanted, options), (plan) => plan.create.length);
}

async function enqueueOnce(context: EnqueueContext, wanted: JobDescriptor[], options: { cancel?: CancelRequest[] }): Promise<EnqueuePlan> {
  const { clone, clock } = context;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    await clone.fetch(liveRefspecs({ history: true, config: true }));
    const configCommit = await clone.ref(CONFIG_REF);
    const snapshot = await readSnapshot(clone);
    const archived = await archivedIds(clone, wanted.map((job) => job.id));
    const plan = planEnqueue({ wanted, snapshot, isArchived: (id) => archived.has(id), by: context.by, nowIso: isoOf(clock.now()), cancel: options.cancel });
    if (plan.create.length === 0 && plan.cancel.length === 0) return plan;
    const author = signatureFor('enqueue', context.by, clock.now());
    const updates: RefUpdate[] = [];
    // Each new job names the configuration commit it was enqueued under.
    plan.create = plan.create.map((job) => (job.configCommit || !configCommit ? job : { ...job, configCommit }));
    for (const job of plan.create) {
      updates.push({ ref: jobRef(job.id), newOid: await writeRecord(clone.gitdir, JOB, job, { parents: [], author }), expect: null });
    }
    for (const cancel of plan.cancel) {
      const jobOid = snapshot.get(cancel.job)!.job!.oid;
      updates.push({ ref: cancelRef(cancel.job), newOid: await writeRecord(clone.gitdir, CANCEL, cancel, { parents: [jobOid], author }), expect: null });
    }
    const pushed = await clone.push(updates);
    if (pushed.won) return plan;
    if (pushed.outcome === 'failed') {
      // A connection that broke after the repository took the push: the jobs are queued, whole (one atomic push).
      const landed = await pushLanded(clone, updates, pushed);
      if (landed === 'all') return plan;
      throw pushFailure('the enqueue', pushed, landed);
    }
  }
  throw new RefciError('conflict', `enqueue lost ${MAX_ROUNDS} races in a row against other writers`, 'run the command again');
}

/** Cancels live jobs by id (refci cancel): create-only cancel refs, so a second cancel is a no-op. */
export async function cancelJobs(context: EnqueueContext, ids: string[], reason: string): Promise<string[]> {
  const { clone, clock } = context;
  await clone.fetch(liveRefspecs());
  const snapshot = await readSnapshot(clone);
  const author = signatureFor('cancel', context.by, clock.now());
  const updates: RefUpdate[] = [];
  for (const id of ids) {
    const live = snapshot.get(id);
    if (!live?.job) throw new RefciError('not-found', `job ${id} is not live`, 'refci status lists live jobs; refci log lists finished ones');
    if (live.cancel || live.result) continue;
    const cancel = { version: 1 as const, job: id, reason, by: context.by, at: isoOf(clock.now()) };
    updates.push({ ref: cancelRef(id), newOid: await writeRecord(clone.gitdir, CANCEL, cancel, { parents: [live.job.oid], author }), expect: null });
  }
  if (updates.length === 0) return [];
  const pushed = await clone.push(updates);
  if (pushed.outcome === 'failed') {
    const landed = await pushLanded(clone, updates, pushed);
    if (landed === 'all') return updates.map((u) => u.ref.split('/').pop()!);
    throw pushFailure('the cancel', pushed, landed);
  }
  if (!pushed.won) throw new RefciError('conflict', 'another host changed these jobs while cancelling', 'run the command again');
  return updates.map((u) => u.ref.split('/').pop()!);
}

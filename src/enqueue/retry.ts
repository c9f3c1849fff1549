/**
 * `refci retry <job>`: run a job again without a new push. The new job copies the old one
 * (source, base, head, pipeline, priority, limits) with `retry: n` in its identity, so it gets an
 * id of its own, and `retryOf` naming the job it reruns. A live job of the same pull request is
 * superseded as by any newer job.
 */
import { RefciError } from '../errors.ts';
import type { CoordClone } from '../coord/clone.ts';
import { readSnapshot } from '../coord/snapshot.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import { newJob, type JobDescriptor } from '../protocol/job.ts';
import { liveRefspecs } from '../protocol/refs.ts';
import { descriptorOf } from '../protocol/snapshot.ts';
import { enqueueJobs } from './enqueue.ts';
import { readArchivedJob } from '../coord/history.ts';
import { firstFreeRetry } from './known-jobs.ts';
import type { EnqueuePlan } from './plan.ts';

export async function retryJob(context: { clone: CoordClone; clock: Clock; by: string }, id: string): Promise<{ job: JobDescriptor; from: 'live' | 'archived'; plan: EnqueuePlan }> {
  const { clone, clock } = context;
  await clone.fetch(liveRefspecs({ history: true }));
  const snapshot = await readSnapshot(clone);
  const live = snapshot.get(id);
  let original: JobDescriptor | undefined;
  let from: 'live' | 'archived' = 'live';
  if (live?.job) {
    original = descriptorOf(live);
    if (!original) throw new RefciError('invalid-input', `job ${id} is malformed and cannot be retried`, 'enqueue a new job with refci enqueue');
  } else {
    const archived = await readArchivedJob(clone, id);
    if (archived.problem) throw new RefciError('invalid-input', `job ${id} cannot be retried: ${archived.problem}`, 'enqueue a new job with refci enqueue');
    if (!archived.job) throw new RefciError('not-found', `no job ${id}, live or archived`, 'refci status lists live jobs, refci log finished ones');
    original = archived.job;
    from = 'archived';
  }
  const identity = { repo: original.repo, pr: original.pr, head: original.head, pipeline: original.pipeline };
  const [retry] = await firstFreeRetry(clone, snapshot, [identity], 1);
  const job = newJob({
    repo: original.repo,
    base: original.base,
    head: original.head,
    baseRef: original.baseRef,
    headRef: original.headRef,
    mergeBasis: original.mergeBasis,
    pr: original.pr,
    prUrl: original.prUrl,
    forge: original.forge,
    pipeline: original.pipeline,
    priority: original.priority,
    maxAttempts: original.maxAttempts,
    timeoutSec: original.timeoutSec,
    configCommit: original.configCommit,
    createdAt: isoOf(clock.now()),
    retry,
    retryOf: id,
  });
  const plan = await enqueueJobs(context, [job]);
  return { job, from, plan };
}

import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { Lease } from '../../src/claim/lease.ts';
import { FRESH_MS, runWorker } from '../../src/claim/worker.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { observeCoordination, type ProcessNote } from '../../src/git/observe.ts';
import { git } from '../../src/git/runner.ts';
import { isoOf } from '../../src/host/clock.ts';
import type { JobRun } from '../../src/protocol/job-run.ts';
import { newJob, type JobDescriptor } from '../../src/protocol/job.ts';
import { liveRefspecs } from '../../src/protocol/refs.ts';
import { bareRepo, ManualClock, tempDir } from '../helpers/temp.ts';

/** Jobs in claim order (one millisecond apart), enqueued in one push. */
async function queue(t: ExecutionContext, count: number) {
  const remote = await bareRepo(t);
  const dir = tempDir(t);
  const clock = new ManualClock();
  const jobs = Array.from({ length: count }, (_, i) =>
    newJob({ repo: '/src', base: 'a'.repeat(40), head: `${i + 1}`.repeat(40), pipeline: 'noop', createdAt: isoOf(clock.now() + i) }),
  );
  await enqueueJobs({ clone: await CoordClone.open(path.join(dir, 'enqueuer.git'), remote), clock, by: 'test' }, jobs);
  return { remote, dir, clock, jobs };
}

/** A worker that drains the queue once, each job running `during` first; its log and the processes it started. */
async function drainOnce(remote: string, dir: string, clock: ManualClock, during: (run: JobRun) => Promise<void> = async () => {}) {
  const log: string[] = [];
  const processes: ProcessNote[] = [];
  observeCoordination({ process: (note) => processes.push(note), phase: () => {} });
  try {
    const summary = await runWorker({
      coord: remote,
      workerId: 'w1',
      stateDir: path.join(dir, 'w1'),
      config: defaultConfig(),
      clock,
      once: true,
      log: (line) => log.push(line),
      runJob: async (run) => {
        await during(run);
        return { result: closingResult(run.job.id, 'success', 'all 0 steps passed', 'w1', run.attempt, clock.now()), artifacts: {} };
      },
    });
    return { summary, log, processes };
  } finally {
    observeCoordination(undefined);
  }
}

async function tip(remote: string, ref: string): Promise<string | undefined> {
  const out = await git(['rev-parse', '--verify', '--quiet', ref], { cwd: remote, allowFailure: true });
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

async function workerOf(remote: string, ref: string): Promise<string> {
  return JSON.parse((await git(['cat-file', 'blob', `${ref}:lock.json`], { cwd: remote })).stdout).worker;
}

/**
 * Drains three queued jobs, each running `during` first, and checks that
 * every result went out, one claim push and three result pushes (the first two
 * carrying the next claim), `fetches` looks at the queue, claims in claim
 * order (oldest first).
 */
async function drainsInFourPushes(t: ExecutionContext, fetches: number, during?: (clock: ManualClock) => Promise<void>) {
  const { remote, dir, clock, jobs } = await queue(t, 3);
  const { summary, log, processes } = await drainOnce(remote, dir, clock, during && (() => during(clock)));
  t.like(summary, { ran: 3, published: 3, lost: 0 }, log.join('\n'));
  for (const job of jobs) t.truthy(await tip(remote, `refs/ci/results/${job.id}`));
  const pushes = processes.filter((p) => p.op === 'push' && (p.phase === 'claim' || p.phase === 'result'));
  t.is(pushes.length, 4, JSON.stringify(pushes));
  t.is(processes.filter((p) => p.op === 'fetch' && p.phase === 'claim').length, fetches);
  t.deepEqual(
    log.filter((line) => line.includes('claimed by')).map((line) => line.split(':')[0]),
    jobs.map((job) => job.id),
  );
}

// Serial: the observer that counts processes is one per process.
test.serial('each result goes out with the next claim: one push per job after the first, and one fetch for the whole queue', async (t) => {
  // The first look and the last (which finds the queue empty); none between the jobs.
  await drainsInFourPushes(t, 2);
});

test.serial('jobs that outlast the view look at the queue before their result, and each result still carries the next claim', async (t) => {
  // Each job runs longer than a view is claimed from: without a look first, every result would go alone. The looks:
  // the first, one before each of the first two results (the queue still had jobs), and the last (empty); the
  // third result's view had nothing left to try, so it goes out without a look.
  await drainsInFourPushes(t, 4, async (clock) => clock.advance(FRESH_MS + 1000));
});

test.serial('a claim lost from a fresh view publishes the result alone, fetches again and takes the next free job, quietly', async (t) => {
  const { remote, dir, clock, jobs } = await queue(t, 3);
  const [first, second, third] = jobs as [JobDescriptor, JobDescriptor, JobDescriptor];
  // While the first job runs, another worker takes the second: the first worker's view still shows it free.
  const other = await CoordClone.open(path.join(dir, 'w2.git'), remote);
  const { summary, log, processes } = await drainOnce(remote, dir, clock, async (run) => {
    if (run.job.id !== first.id) return;
    await other.fetch(liveRefspecs());
    const jobOid = (await readSnapshot(other)).get(second.id)!.job!.oid;
    const lease = await Lease.acquire(other, { id: 'w2', host: 'h', leaseSec: 300, tools: {} }, { id: second.id, job: second, jobOid, attempt: 1, expect: null }, clock);
    if (!lease) throw new Error('the other worker lost');
  });
  t.like(summary, { ran: 2, published: 2, lost: 0 }, log.join('\n'));
  t.truthy(await tip(remote, `refs/ci/results/${first.id}`), 'the result went out alone');
  t.truthy(await tip(remote, `refs/ci/results/${third.id}`));
  t.is(await workerOf(remote, `refs/ci/locks/${second.id}`), 'w2', 'the other worker keeps its job');
  t.is(await tip(remote, `refs/ci/results/${second.id}`), undefined);
  t.false(log.some((line) => /claim not pushed|rejected/.test(line)), log.join('\n'));
  // The lost claim made exactly one more fetch: the first look, the one after the loss, the last (the other worker's is not in a phase).
  t.is(processes.filter((p) => p.op === 'fetch' && p.phase === 'claim').length, 3);
});

test.serial('a job whose ref is gone when its result is pushed publishes nothing and gives the lock back', async (t) => {
  const { remote, dir, clock, jobs } = await queue(t, 1);
  const [job] = jobs as [JobDescriptor];
  // As if it had been finished and archived before this claim won: the job ref goes while the job runs.
  const { summary, log } = await drainOnce(remote, dir, clock, async () => {
    await git(['update-ref', '-d', `refs/ci/jobs/${job.id}`], { cwd: remote });
  });
  t.like(summary, { ran: 1, published: 0, lost: 1 }, log.join('\n'));
  t.true(log.some((line) => line === `${job.id}: the job was finished or cancelled by another host before this claim; lock given back`), log.join('\n'));
  t.is(await tip(remote, `refs/ci/results/${job.id}`), undefined);
  t.is(await tip(remote, `refs/ci/locks/${job.id}`), undefined);
});

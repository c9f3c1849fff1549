import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { Lease } from '../../src/claim/lease.ts';
import { runCollector } from '../../src/collect/collector.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { archiveJob } from '../../src/coord/archive.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { cancelJobs, enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { git } from '../../src/git/runner.ts';
import { isoOf } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { liveRefspecs, lockRef } from '../../src/protocol/refs.ts';
import { writeRecord } from '../../src/coord/records.ts';
import { LOCK } from '../../src/protocol/lock.ts';
import type { LiveJob } from '../../src/protocol/snapshot.ts';
import { summarise } from '../../src/collect/collector.ts';
import { bareRepo, ManualClock, tempDir } from '../helpers/temp.ts';

/**
 * A coordination repository with one cancelled job, and the clones of an
 * enqueuer, a worker and a collector. `remote` is the repository's folder,
 * for looking at it; `url` is what the hosts use.
 */
async function cancelledJob(t: ExecutionContext) {
  const remote = await bareRepo(t);
  const url = `file://${remote}`;
  const dir = tempDir(t);
  const clock = new ManualClock();
  const enqueuer = await CoordClone.open(path.join(dir, 'enqueuer.git'), url);
  const job = newJob({ repo: '/src', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: isoOf(clock.now()) });
  await enqueueJobs({ clone: enqueuer, clock, by: 'test' }, [job]);
  // A worker's view from before the cancel: the job is free to claim.
  const worker = await CoordClone.open(path.join(dir, 'worker.git'), url);
  await worker.fetch(liveRefspecs());
  const workerView = (await readSnapshot(worker)).get(job.id)!;
  await cancelJobs({ clone: enqueuer, clock, by: 'test' }, [job.id], 'not wanted');
  const claimLate = () =>
    Lease.acquire(worker, { id: job.id, host: 'h', leaseSec: 30, tools: {} }, { id: job.id, job, jobOid: workerView.job!.oid, attempt: 1, expect: null }, clock);
  /** A create-only lock pushed without checking the job ref, as a host of an older protocol version (or a person) might. */
  const lockByHand = async () => {
    const lock = { version: 1, job: job.id, event: 'claim', worker: 'old', host: 'h', attempt: 1, leaseSec: 30, nonce: 'f'.repeat(16), at: isoOf(clock.now()), tools: {} } as const;
    const oid = await writeRecord(worker.gitdir, LOCK, lock, { parents: [workerView.job!.oid], author: { name: 'old', email: 'old@refci.invalid', timeMs: clock.now() } });
    return (await worker.push([{ ref: lockRef(job.id), newOid: oid, expect: null }], { mirror: false })).won;
  };
  return { remote, url, dir, clock, job, claimLate, lockByHand };
}

async function remoteRefs(remote: string): Promise<string[]> {
  return (await git(['for-each-ref', '--format=%(refname)', 'refs/ci/'], { cwd: remote })).stdout.split('\n').filter(Boolean);
}

// The archive deletes the refs it did not see under "must not exist": git's client refuses that once the ref is
// advertised (the same over every transport: test/coord/remote-contract.test.ts).
test('a claim pushed between the collector fetch and its archive makes the archive lose instead of surviving it', async (t) => {
  const { remote, url, dir, clock, job, claimLate } = await cancelledJob(t);
  const collector = await CoordClone.open(path.join(dir, 'collector.git'), url);
  await collector.fetch(liveRefspecs({ history: true }));
  const seen: LiveJob = (await readSnapshot(collector)).get(job.id)!;
  t.truthy(await claimLate());
  const summary = summarise(seen, { status: 'cancelled', reason: 'not wanted', reports: {} }, clock.now());
  const pushed = await archiveJob(collector, seen, summary, {}, 'c1', clock);
  t.is(pushed.outcome, 'refused', pushed.cause);
  t.regex(pushed.cause, /stale info/);
  t.deepEqual(await remoteRefs(remote), [`refs/ci/cancel/${job.id}`, `refs/ci/jobs/${job.id}`, `refs/ci/locks/${job.id}`]);
});

test('a claim from a view older than the archive is refused: its push checks that the job ref is still there', async (t) => {
  const { remote, url, dir, clock, claimLate } = await cancelledJob(t);
  const collected = await runCollector({ coord: url, collectorId: 'c1', stateDir: path.join(dir, 'collector'), config: defaultConfig(), clock, once: true, log: () => {}, publishers: [] });
  t.is(collected.archived, 1);
  t.is(await claimLate(), undefined);
  t.deepEqual(await remoteRefs(remote), ['refs/ci/history']);
});

test('a job the history already holds is never archived again: leftover refs are cleared, its summary stays', async (t) => {
  const { remote, url, dir, clock, job, lockByHand } = await cancelledJob(t);
  const log: string[] = [];
  const collect = () =>
    runCollector({ coord: url, collectorId: 'c1', stateDir: path.join(dir, 'collector'), config: defaultConfig(), clock, once: true, log: (line) => log.push(line), publishers: [] });
  t.is((await collect()).archived, 1);
  const summaryBefore = (await git(['rev-parse', `refs/ci/history:jobs`], { cwd: remote })).stdout;
  // A host with an older view (and an older protocol) wins a create-only claim after the archive, then dies before it gives the lock back.
  t.true(await lockByHand());
  const lateLock = (await git(['rev-parse', `refs/ci/locks/${job.id}`], { cwd: remote })).stdout.trim();
  clock.advance(1000);
  t.is((await collect()).archived, 0);
  t.deepEqual(await remoteRefs(remote), ['refs/ci/history']);
  t.is((await git(['rev-parse', `refs/ci/history:jobs`], { cwd: remote })).stdout, summaryBefore);
  const archives = (await git(['log', '--format=%s', '--first-parent', 'refs/ci/history'], { cwd: remote })).stdout;
  t.is(archives.split('\n').filter((line) => line.startsWith(`archive ${job.id}`)).length, 1, archives);
  t.regex(log.join('\n'), new RegExp(`${job.id}: already archived; live refs pushed after its archive cleared`));
  // The late lock commit stays reachable from the history.
  t.is((await git(['merge-base', '--is-ancestor', lateLock, 'refs/ci/history'], { cwd: remote, allowFailure: true })).exitCode, 0);
});

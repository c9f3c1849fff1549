import test from 'ava';
import path from 'node:path';
import { Lease } from '../../src/claim/lease.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { closingResult, publishResult } from '../../src/coord/close-job.ts';
import { lockDeletionFreesJob, lockEventAt } from '../../src/coord/lock-event.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { git } from '../../src/git/runner.ts';
import { isoOf } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { liveRefspecs, lockRef } from '../../src/protocol/refs.ts';
import { bareRepo, ManualClock, tempDir } from '../helpers/temp.ts';

test('a watching worker tells a hand-back from claims, heartbeats and results by the lock commit alone', async (t) => {
  const remote = await bareRepo(t);
  const dir = tempDir(t);
  const clock = new ManualClock();
  const job = newJob({ repo: '/src', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: isoOf(clock.now()) });
  await enqueueJobs({ clone: await CoordClone.open(path.join(dir, 'enqueuer.git'), remote), clock, by: 'test' }, [job]);
  const worker = await CoordClone.open(path.join(dir, 'worker.git'), remote);
  await worker.fetch(liveRefspecs());
  const jobOid = (await readSnapshot(worker)).get(job.id)!.job!.oid;
  const ref = lockRef(job.id);
  t.is(lockEventAt(remote, ref), undefined, 'no lock yet');

  const lease = (await Lease.acquire(worker, { id: 'w1', host: 'h', leaseSec: 30, tools: {} }, { id: job.id, job, jobOid, attempt: 1, expect: null }, clock))!;
  t.is(lockEventAt(remote, ref), 'claim');
  clock.advance(1000);
  t.is((await lease.renew()).state, 'held');
  t.is(lockEventAt(remote, ref), 'heartbeat');
  t.true((await lease.handBack('pmaint is missing on this host')).won);
  t.is(lockEventAt(remote, ref), 'release');

  const taken = (await Lease.acquire(worker, { id: 'w2', host: 'h', leaseSec: 30, tools: {} }, { id: job.id, job, jobOid, attempt: 2, expect: lease.tip }, clock))!;
  t.is(lockEventAt(remote, ref), 'takeover');
  const result = closingResult(job.id, 'success', 'nothing to run', 'w2', 2, clock.now());
  t.true((await publishResult(worker, { result, artifacts: {}, parent: taken.tip, lockTip: taken.tip, jobOid, actor: 'w2', clock })).won);
  t.is(lockEventAt(remote, ref), 'result');

  // Packed refs and packed objects are not read here: the worker takes the change as news.
  await git(['pack-refs', '--all', '--prune'], { cwd: remote });
  t.is(lockEventAt(remote, ref), undefined);
});

test('a deleted lock frees its job only when the job ref is still there, loose or packed: an archive deletes both', async (t) => {
  const remote = await bareRepo(t);
  const oid = (await git(['commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-m', 'record'], { cwd: remote })).stdout.trim();
  await git(['update-ref', 'refs/ci/jobs/given-back', oid], { cwd: remote });
  await git(['update-ref', 'refs/ci/jobs/packed', oid], { cwd: remote });
  await git(['pack-refs', '--all', '--prune'], { cwd: remote });
  await git(['update-ref', 'refs/ci/jobs/given-back', oid], { cwd: remote });
  t.true(lockDeletionFreesJob(remote, 'given-back'), 'a loose job ref');
  t.true(lockDeletionFreesJob(remote, 'packed'), 'a packed job ref');
  t.false(lockDeletionFreesJob(remote, 'pack'), 'a name that only begins another');
  await git(['update-ref', '-d', 'refs/ci/jobs/packed'], { cwd: remote });
  t.false(lockDeletionFreesJob(remote, 'packed'), 'archived');
  t.false(lockDeletionFreesJob(remote, 'never-there'));
});

import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { Lease } from '../../src/claim/lease.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { writeRecordCommit } from '../../src/git/objects.ts';
import { git } from '../../src/git/runner.ts';
import { isoOf } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { lockRef } from '../../src/protocol/refs.ts';
import { flakyRemote } from '../helpers/flaky-remote.ts';
import { bareRepo, ManualClock, tempDir } from '../helpers/temp.ts';

async function heldLease(t: ExecutionContext) {
  const remote = await bareRepo(t);
  const dir = tempDir(t);
  const clock = new ManualClock();
  const clone = await CoordClone.open(path.join(dir, 'worker.git'), remote);
  const job = newJob({ repo: '/src', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: isoOf(clock.now()) });
  const plan = await enqueueJobs({ clone, clock, by: 'test' }, [job]);
  const jobOid = (await git(['rev-parse', `refs/ci/jobs/${plan.create[0].id}`], { cwd: remote })).stdout.trim();
  const lease = await Lease.acquire(clone, { id: 'w1', host: 'h', leaseSec: 30, tools: {} }, { id: job.id, job, jobOid, attempt: 1, expect: null }, clock);
  if (!lease) throw new Error('the claim did not win');
  const remoteTip = async () => (await git(['rev-parse', lockRef(job.id)], { cwd: remote })).stdout.trim();
  return { remote, clone, clock, lease, remoteTip, flaky: flakyRemote(remote) };
}

test('a heartbeat push that fails without a refusal keeps the lease, and the next one pushes the same commit', async (t) => {
  const { lease, remoteTip, flaky, clock } = await heldLease(t);
  const claimTip = lease.tip;
  flaky.fail('before');
  const failed = await lease.renew();
  t.is(failed.state, 'failed');
  t.regex(failed.state === 'failed' ? failed.cause : '', /hung up|failed/);
  t.is(await remoteTip(), claimTip);
  flaky.fail('never');
  clock.advance(10_000);
  t.deepEqual(await lease.renew(), { state: 'held' });
  t.is(await remoteTip(), lease.tip);
  // One heartbeat commit on the claim, not one per try.
  t.is((await git(['rev-parse', `${lease.tip}^`], { cwd: lease.clone.gitdir })).stdout.trim(), claimTip);
});

test('a heartbeat that landed although git reported a failure is recognised as held on the next try', async (t) => {
  const { lease, remoteTip, flaky } = await heldLease(t);
  flaky.fail('after');
  t.is((await lease.renew()).state, 'failed');
  const landed = await remoteTip();
  t.not(landed, lease.tip);
  flaky.fail('never');
  t.deepEqual(await lease.renew(), { state: 'held' });
  t.is(lease.tip, landed);
});

test('a heartbeat refused because another worker moved the lock loses the lease', async (t) => {
  const { lease, remote, clone, remoteTip } = await heldLease(t);
  const author = { name: 'other', email: 'other@refci', timeMs: Date.parse('2026-01-01T00:00:00Z') };
  const other = await writeRecordCommit(clone.gitdir, { files: { 'lock.json': '{}' }, parents: [lease.tip], message: 'takeover', author });
  await git(['push', '--quiet', remote, `${other}:${lockRef(lease.jobId)}`], { cwd: clone.gitdir });
  t.deepEqual(await lease.renew(), { state: 'lost' });
  t.is(await remoteTip(), other);
});

test('a second claim of the same job loses the race and says so to `lost`, never to `failed`', async (t) => {
  const { clone, clock, lease } = await heldLease(t);
  const said: string[] = [];
  const again = await Lease.acquire(
    clone,
    { id: 'w2', host: 'h', leaseSec: 30, tools: {} },
    lease.claim,
    clock,
    (cause) => said.push(`failed ${cause}`),
    (cause) => said.push(`lost ${cause}`),
  );
  t.is(again, undefined);
  t.is(said.length, 1);
  t.regex(said[0]!, /^lost refs\/ci\/locks\/\S+ .*(stale info|already exists)/);
});

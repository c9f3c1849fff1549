import test from 'ava';
import path from 'node:path';
import { CoordClone } from '../../src/coord/clone.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { sweepLive } from '../../src/coord/sweep.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { writeRecordCommit } from '../../src/git/objects.ts';
import { isoOf } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { liveRefspecs } from '../../src/protocol/refs.ts';
import { memoryRepository, recordJson } from '../helpers/memory.ts';
import { ManualClock, tempDir } from '../helpers/temp.ts';

test('jobs stuck for ever are closed by the sweep: one queued past queueTimeoutSec, a malformed one with a lock', async (t) => {
  const remote = memoryRepository(t);
  const dir = tempDir(t);
  const clock = new ManualClock();
  const clone = await CoordClone.open(path.join(dir, 'host.git'), remote.url);
  const job = newJob({ repo: '/src', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'nobody-serves', createdAt: isoOf(clock.now()) });
  await enqueueJobs({ clone, clock, by: 'test' }, [job]);
  // A malformed job that a host claimed anyway (one that read it otherwise).
  const author = { name: 't', email: 't@refci', timeMs: clock.now() };
  const bad = await writeRecordCommit(clone.gitdir, { files: { 'job.json': '{"version": 1,' }, parents: [], message: 'bad', author });
  const badLock = await writeRecordCommit(clone.gitdir, { files: { 'lock.json': '{}' }, parents: [bad], message: 'lock', author });
  await remote.push(clone.gitdir, [
    { ref: 'refs/ci/jobs/bad-1', newOid: bad, expect: null },
    { ref: 'refs/ci/locks/bad-1', newOid: badLock, expect: null },
  ]);

  const sweep = async () => {
    await clone.fetch(liveRefspecs());
    const snapshot = await readSnapshot(clone);
    return sweepLive(clone, snapshot, { stateDir: path.join(dir, 'state'), clock, leaseSec: 300, queueTimeoutSec: 24 * 3600, actor: 'sweeper' });
  };
  const first = await sweep();
  t.deepEqual(first.plan.claimable.map((c) => c.id), [job.id], 'a day has not passed yet');
  const setAside = recordJson(remote, 'refs/ci/results/bad-1', 'result.json');
  t.is(setAside.status, 'error');
  t.regex(setAside.reason, /^malformed job: /);
  t.is(remote.tip('refs/ci/locks/bad-1'), remote.tip('refs/ci/results/bad-1'));
  t.true(remote.reaches(remote.tip('refs/ci/results/bad-1')!, badLock), 'the lock chain stays reachable');

  clock.advance(24 * 3600 * 1000);
  const second = await sweep();
  t.true(second.closed);
  const gaveUp = recordJson(remote, `refs/ci/results/${job.id}`, 'result.json');
  t.is(gaveUp.status, 'error');
  t.regex(gaveUp.reason, /queued for more than 24 h .*pipeline nobody-serves/);
});

import test from 'ava';
import path from 'node:path';
import { CoordClone } from '../../src/coord/clone.ts';
import { writeRecord } from '../../src/coord/records.ts';
import { forEachRef } from '../../src/git/refs.ts';
import { observeCoordination } from '../../src/git/observe.ts';
import { cachedRecordCount, readSnapshot } from '../../src/coord/snapshot.ts';
import { LOCK, type LockRecord } from '../../src/protocol/lock.ts';
import { JOB, newJob } from '../../src/protocol/job.ts';
import { jobRef, lockRef } from '../../src/protocol/refs.ts';
import { memoryRepository } from '../helpers/memory.ts';
import { bareRepo, ManualClock, tempDir } from '../helpers/temp.ts';

const author = { name: 'refci test', email: 'test@refci.invalid', timeMs: Date.parse('2026-01-01T00:00:00Z') };

test('the snapshot cache holds the live records only, however many heartbeats a daemon reads', async (t) => {
  const remote = memoryRepository(t);
  const clone = await CoordClone.open(path.join(tempDir(t), 'c.git'), remote.url);
  const clock = new ManualClock();
  const job = newJob({ repo: 'https://example.org/r', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: '2026-01-01T00:00:00Z' });
  const jobOid = await writeRecord(clone.gitdir, JOB, job, { parents: [], author });
  t.true((await clone.push([{ ref: jobRef(job.id), newOid: jobOid, expect: null }])).won);
  let tip = jobOid;
  let expect: string | null = null;
  for (let beat = 0; beat < 20; beat++) {
    clock.advance(1000);
    const lock: LockRecord = {
      version: 1,
      job: job.id,
      event: beat === 0 ? 'claim' : 'heartbeat',
      worker: 'w1',
      host: 'h',
      attempt: 1,
      leaseSec: 60,
      nonce: `${beat}`.padStart(16, '0'),
      at: new Date(clock.now()).toISOString(),
      tools: {},
    };
    tip = await writeRecord(clone.gitdir, LOCK, lock, { parents: [tip], author });
    t.true((await clone.push([{ ref: lockRef(job.id), newOid: tip, expect }])).won);
    expect = tip;
    const snapshot = await readSnapshot(clone);
    t.is(snapshot.get(job.id)?.lock?.oid, tip);
    t.true(snapshot.get(job.id)?.lock?.record.ok);
    t.is(cachedRecordCount(clone), 2, 'one job and its current lock');
  }
});

test.serial('after a mirrored push the clone knows its refs without asking git again, and they are what git says', async (t) => {
  const remote = await bareRepo(t);
  const clone = await CoordClone.open(path.join(tempDir(t), 'c.git'), remote);
  const job = newJob({ repo: 'https://example.org/r', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: '2026-01-01T00:00:00Z' });
  const jobOid = await writeRecord(clone.gitdir, JOB, job, { parents: [], author });
  t.true((await clone.push([{ ref: jobRef(job.id), newOid: jobOid, expect: null }])).won);
  t.deepEqual(await clone.refs('refs/ci/'), new Map([[jobRef(job.id), jobOid]]));
  const lock: LockRecord = { version: 1, job: job.id, event: 'claim', worker: 'w1', host: 'h', attempt: 1, leaseSec: 60, nonce: '0'.repeat(16), at: '2026-01-01T00:00:01.000Z', tools: {} };
  const lockOid = await writeRecord(clone.gitdir, LOCK, lock, { parents: [jobOid], author });
  const started: string[] = [];
  observeCoordination({ process: (note) => started.push(note.op), phase: () => {} });
  t.teardown(() => observeCoordination(undefined));
  t.true((await clone.push([{ ref: lockRef(job.id), newOid: lockOid, expect: null }, { ref: jobRef(job.id), newOid: null, expect: jobOid }])).won);
  const cached = await clone.refs('refs/ci/');
  t.deepEqual(started.sort(), ['push', 'update-ref'], 'the push and its mirror, no for-each-ref');
  observeCoordination(undefined);
  t.deepEqual(cached, new Map([[lockRef(job.id), lockOid]]));
  t.deepEqual(await forEachRef(clone.gitdir, 'refs/ci/'), cached);
});

import test from 'ava';
import path from 'node:path';
import { Presence, readPresences, type PresenceState } from '../../src/coord/presence.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { memoryRepository } from '../helpers/memory.ts';
import { ManualClock, tempDir } from '../helpers/temp.ts';

const idle: PresenceState = { worker: 'w1', host: 'h', kind: 'default', state: 'idle', pipelines: ['check'], blocked: {}, tools: { git: 'git version 2' }, job: null };

test('presence: pushed when due or changed, chained to the previous commit, and recovered from a fresh state folder', async (t) => {
  const repository = memoryRepository(t);
  const coord = repository.url;
  const dir = tempDir(t);
  const clock = new ManualClock();
  const logs: string[] = [];
  const first = new Presence(await CoordClone.open(path.join(dir, 'a.git'), coord), 'w1', clock, (l) => logs.push(l));
  await first.announce(idle, 180);
  clock.advance(60_000);
  await first.announce(idle, 180); // nothing changed, not due: no push
  const job = { id: 'pr1-0000000000000000', pipeline: 'check', attempt: 1, startedAt: '2026-01-01T00:00:00.000Z' };
  await first.announce({ ...idle, state: 'running', job }, 180); // a job starting is in the lock refs, not pushed here
  await first.announce({ ...idle, state: 'drained' }, 180); // changed: pushed
  clock.advance(181_000);
  await first.announce({ ...idle, state: 'drained' }, 180); // due: pushed
  const subjects = async () => repository.subjects('refs/ci/workers/w1');
  t.deepEqual(await subjects(), ['presence w1: drained', 'presence w1: drained', 'presence w1: idle, pipelines check']);

  // The same worker from a fresh state folder: its first push loses the lease, it reads the tip and chains onto it.
  const second = new Presence(await CoordClone.open(path.join(dir, 'b.git'), coord), 'w1', clock, (l) => logs.push(l));
  await second.announce(idle, 180);
  t.is((await subjects()).length, 4);
  const status = await CoordClone.open(path.join(dir, 'status.git'), coord);
  await status.fetch(['+refs/ci/workers/*:refs/ci/workers/*']);
  const [presence] = await readPresences(status);
  t.is(presence.worker, 'w1');
  t.is(presence.record?.seq, 4);
  t.is(presence.record?.state, 'idle');
  t.deepEqual(logs, []);
});

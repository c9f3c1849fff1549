import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CoordClone } from '../../src/coord/clone.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { isoOf, systemClock } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { refci, startRefci } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

test('worker and collector daemons outlive a coordination repository they cannot reach, and work once it is back', async (t) => {
  const dir = tempDir(t);
  const coordPath = path.join(dir, 'coord.git');
  t.is((await refci(['init', coordPath])).exitCode, 0);
  const coord = pathToFileURL(coordPath).href;
  const env = { REFCI_STATE_DIR: path.join(dir, 'state'), REFCI_ALLOW_LOCAL_REPOS: '1' };
  // Without HEAD, git takes the folder for no repository at all: every fetch fails, as over a cut network.
  fs.renameSync(path.join(coordPath, 'HEAD'), path.join(coordPath, 'HEAD.away'));
  const worker = startRefci(['work', '--coord', coord, '--worker-id', 'w1', '--pipelines', 'noop', '--poll-max', '1'], { env });
  const collector = startRefci(['collect', '--coord', coord, '--out', path.join(dir, 'out')], { env });
  t.teardown(() => {
    worker.stop();
    collector.stop();
  });
  const unreachable = 'the coordination repository cannot be reached; trying again in';
  t.true(await worker.waitForLine(unreachable), worker.stdout.join('\n') + (await Promise.race([worker.result, Promise.resolve(undefined)]))?.stderr);
  t.true(await collector.waitForLine(unreachable), collector.stdout.join('\n'));

  fs.renameSync(path.join(coordPath, 'HEAD.away'), path.join(coordPath, 'HEAD'));
  const job = newJob({ repo: '/nowhere', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: isoOf(systemClock.now()) });
  await enqueueJobs({ clone: await CoordClone.open(path.join(dir, 'enqueuer.git'), coordPath), clock: systemClock, by: 'test' }, [job]);
  t.true(await worker.waitForLine(`${job.id}: success`), worker.stdout.join('\n'));
  t.true(await collector.waitForLine(`${job.id}: success`), collector.stdout.join('\n'));

  worker.stop();
  collector.stop();
  const [w, c] = await Promise.all([worker.result, collector.result]);
  t.is(w.exitCode, 0, w.stderr);
  t.is(c.exitCode, 0, c.stderr);
  t.regex(worker.stdout.find((line) => line.includes(unreachable))!, /: git fetch \S+ failed: fatal: .*coord\.git/);
});

test('a --once run that cannot reach the coordination repository still fails, with the git exit code', async (t) => {
  const dir = tempDir(t);
  const env = { REFCI_STATE_DIR: path.join(dir, 'state') };
  const run = await refci(['work', '--coord', path.join(dir, 'nothing.git'), '--once', '--worker-id', 'w1', '--pipelines', 'noop'], { env });
  t.is(run.exitCode, 4);
  t.regex(run.stderr, /^refci work: git fetch \S+ failed: /);
});

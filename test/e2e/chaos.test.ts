/**
 * A short chaos run (bench/chaos/run.ts, which `npm run chaos` runs for ten
 * minutes with sixteen workers): four worker daemons and one collector on a
 * git daemon, two workers behind proxies whose network is cut, short jobs
 * enqueued all along, and for 15 s kills, pauses longer than the lease and
 * cuts. Then the queue drains, every daemon gets SIGTERM, and refci audit
 * proves from the repository alone that every job was archived once, every
 * lock chain is in order and only lock holders published results.
 */
import test from 'ava';
import { chaosLines, chaosProblems, runChaos } from '../../bench/chaos/run.ts';
import { assertBuiltFrom } from '../helpers/built-cli.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

test('15 s of kills, pauses and network cuts: the queue drains and refci audit finds nothing wrong', async (t) => {
  assertBuiltFrom(ROOT);
  // The daemons run in process groups of their own: a test ended early still stops them.
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const figures = await runChaos({
    stop: stop.signal,
    seconds: 15,
    workers: 4,
    collectors: 1,
    transport: 'daemon',
    leaseSec: 3,
    jobMs: 1000,
    backlog: 1,
    pollMaxSec: 2,
    faultEveryMs: 1500,
    drainSec: 120,
    dir: tempDir(t, 'refci-chaos-'),
    log: (line) => t.log(line),
  });
  for (const line of chaosLines(figures)) t.log(line);
  t.deepEqual(chaosProblems(figures), []);
  t.is(figures.audit.exitCode, 0);
  t.true(figures.kills >= 1);
  t.true(figures.holderKills >= 1);
  t.true(figures.audit.report!.figures.takeovers >= 1, 'a worker killed while it held a lock was taken over');
  t.is(figures.audit.report!.figures.archived, figures.enqueued);
});

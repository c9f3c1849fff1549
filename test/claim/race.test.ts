import test from 'ava';
import path from 'node:path';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { git } from '../../src/git/runner.ts';
import { systemClock } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { refci, spawnRefci } from '../helpers/cli.ts';
import { liveRefs, scenario, type Scenario } from '../helpers/coord.ts';

/**
 * One race of 16 real worker processes (the processes are the point: separate
 * clones pushing to one repository over a local path). Fewer jobs than
 * workers: most workers lose at least one race. Create-only pushes racing
 * over git daemon, smart HTTP and ssh are tested in
 * test/coord/remote-contract.test.ts and test/git/push.test.ts.
 */
const WORKERS = 16;
const JOBS = 4;

/** Enqueues `count` no-op jobs (distinct heads) in one atomic push and returns their ids. */
async function enqueueNoops(s: Scenario, count: number): Promise<string[]> {
  const jobs = Array.from({ length: count }, (_, i) =>
    newJob({
      repo: s.source.path,
      base: s.source.base,
      head: (1000 + i).toString(16).padStart(40, '0'),
      pipeline: 'noop',
      createdAt: new Date().toISOString(),
    }),
  );
  const clone = await CoordClone.open(path.join(s.dir, 'enqueuer.git'), s.coord);
  const plan = await enqueueJobs({ clone, clock: systemClock, by: 'test' }, jobs);
  return plan.create.map((job) => job.id);
}

test(`${WORKERS} worker processes racing never share a job and finish each exactly once`, async (t) => {
  const s = await scenario(t, 'file', 1);
  const all = await enqueueNoops(s, JOBS);
  const workers = Array.from({ length: WORKERS }, (_, n) => {
    const args = ['work', '--coord', s.coord, '--once', '--worker-id', `w${n}`];
    return spawnRefci(args, { env: s.env });
  });
  const outputs = await Promise.all(workers);
  const claims = outputs.flatMap((o) => String(o.stdout).match(/(\S+): claimed by/g) ?? []).map((line) => line.split(':')[0]);
  t.is(claims.length, JOBS, 'every job claimed once');
  t.deepEqual([...new Set(claims)].sort(), [...all].sort());
  for (const o of outputs) t.is(o.exitCode, 0, String(o.stderr));
  // Every job's result chain holds exactly one claim: nobody ever held a job that another held.
  const results = (await git(['for-each-ref', '--format=%(refname)', 'refs/ci/results/'], { cwd: s.coordPath })).stdout.split('\n').filter(Boolean);
  t.is(results.length, all.length, outputs.map((o) => String(o.stdout) + String(o.stderr)).join("\n---\n"));
  for (const ref of results) {
    const chain = (await git(['log', '--format=%s', ref], { cwd: s.coordPath })).stdout.split('\n').filter(Boolean);
    t.is(chain.filter((m) => m.startsWith('claim ')).length, 1, chain.join('\n'));
    t.is(chain.filter((m) => m.startsWith('result ')).length, 1);
  }
  const collect = await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/reports`], { env: s.env });
  t.regex(collect.stdout, new RegExp(`archived ${all.length} job`));
  t.deepEqual(await liveRefs(s.coordPath), ['refs/ci/history']);
  // The repository alone proves the same: one claim per chain, results by their holders, each job archived once.
  const audit = await refci(['audit', '--quiescent', '--skew', '0', s.coordPath]);
  t.is(audit.exitCode, 0, audit.stdout);
  t.regex(audit.stdout, new RegExp(`^locks: ${all.length} claims, 0 takeovers`, 'm'));
});

import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { CoordClone } from '../../src/coord/clone.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { git } from '../../src/git/runner.ts';
import { isoOf, systemClock } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { refci } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

/** A coordination repository with two jobs run and archived by refci, and a third one queued. */
async function auditedRepository(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const coord = path.join(dir, 'coord.git');
  const env = { REFCI_STATE_DIR: path.join(dir, 'state'), REFCI_ALLOW_LOCAL_REPOS: '1' };
  t.is((await refci(['init', coord])).exitCode, 0);
  const enqueuer = await CoordClone.open(path.join(dir, 'enqueuer.git'), coord);
  const job = (n: number) => newJob({ repo: '/nowhere', base: 'a'.repeat(40), head: String(n).padStart(40, '0'), pipeline: 'noop', createdAt: isoOf(systemClock.now()) });
  await enqueueJobs({ clone: enqueuer, clock: systemClock, by: 'test' }, [job(1), job(2)]);
  t.is((await refci(['work', '--coord', coord, '--once', '--worker-id', 'w1', '--pipelines', 'noop'], { env })).exitCode, 0);
  t.is((await refci(['collect', '--coord', coord, '--once', '--out', path.join(dir, 'out')], { env })).exitCode, 0);
  const queued = job(3);
  await enqueueJobs({ clone: enqueuer, clock: systemClock, by: 'test' }, [queued]);
  return { coord, queued: queued.id };
}

test('refci audit: a repository refci wrote is clean; a live job is a violation only with --quiescent; a job ref deleted without an archive and a lost object are found', async (t) => {
  const { coord, queued } = await auditedRepository(t);
  const running = await refci(['audit', '--skew', '0', coord]);
  t.is(running.exitCode, 0, running.stdout + running.stderr);
  t.deepEqual(running.stdout.split('\n'), [
    'jobs: 3 enqueued, 2 archived (2 success), 1 live, 0 leftovers cleared',
    'locks: 2 claims, 0 takeovers (0 after a release), 0 releases, 0 heartbeats',
    'results: 2 by the lock holder, 0 closing results of sweeps',
    'no violations',
  ]);

  const stopped = await refci(['audit', '--quiescent', coord]);
  t.is(stopped.exitCode, 1);
  t.regex(stopped.stdout.split('\n')[0]!, new RegExp(`^${queued}: no-live-refs: refs/ci/jobs/${queued} is left at [0-9a-f]{12} after the fleet stopped$`));
  t.regex(stopped.stdout, /\n1 violation$/);

  // Deleted by hand: no ref reaches the job commit any more, git fsck still finds it.
  await git(['update-ref', '-d', `refs/ci/jobs/${queued}`], { cwd: coord });
  const lost = await refci(['audit', '--json', coord]);
  t.is(lost.exitCode, 1);
  const report = JSON.parse(lost.stdout);
  t.deepEqual(report.violations.map((v: { job: string; rule: string }) => `${v.job} ${v.rule}`), [`${queued} archived`]);
  t.like(report.figures, { jobs: 3, archived: 2, live: 0, claims: 2, holderResults: 2 });

  // An object lost from the repository: git fsck's lines are violations.
  const history = (await git(['rev-parse', 'refs/ci/history'], { cwd: coord })).stdout.trim();
  const summary = (await git(['ls-tree', '-r', history], { cwd: coord })).stdout.split('\n').find((line) => line.endsWith('summary.json'))!;
  const blob = summary.split(/\s+/)[2]!;
  fs.rmSync(path.join(coord, 'objects', blob.slice(0, 2), blob.slice(2)));
  const broken = await refci(['audit', coord]);
  t.is(broken.exitCode, 1);
  t.regex(broken.stdout, new RegExp(`^\\(repository\\): fsck: .*${blob}`, 'm'));

});

test('refci audit: a URL or a folder that is no repository is refused', async (t) => {
  const coord = path.join(tempDir(t), 'coord.git');
  const url = await refci(['audit', 'git://127.0.0.1/coord.git']);
  t.is(url.exitCode, 2);
  t.regex(url.stderr, /^refci audit: git:\/\/127\.0\.0\.1\/coord\.git is a URL; refci audit reads the repository's objects \(git fsck\); run it on the coordination host/);
  const none = await refci(['audit', path.join(coord, 'nothing')]);
  t.is(none.exitCode, 5);
  t.regex(none.stderr, /is not a bare git repository/);
});

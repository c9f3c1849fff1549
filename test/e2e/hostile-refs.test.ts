import test from 'ava';
import { git } from '../../src/git/runner.ts';
import { refci } from '../helpers/cli.ts';
import { enqueuePr, scenario } from '../helpers/coord.ts';

test('refs under refs/ci/ with a bad id or a non-commit tip are ignored by every host and listed once by status', async (t) => {
  const s = await scenario(t, 'file', 1);
  const valid = (await enqueuePr(s, 1, 'check')).stdout.trim();
  const jobCommit = (await git(['rev-parse', `refs/ci/jobs/${valid}`], { cwd: s.coordPath })).stdout.trim();
  const blob = (await git(['hash-object', '-w', '--stdin'], { cwd: s.coordPath, input: '{"version": 1}\n' })).stdout.trim();
  const tree = (await git(['rev-parse', `${jobCommit}^{tree}`], { cwd: s.coordPath })).stdout.trim();
  // Made straight in the coordination repository, as anyone with push access could.
  const hostile: Record<string, string> = {
    'refs/ci/jobs/a/b': jobCommit,
    'refs/ci/locks/odd.id': jobCommit,
    'refs/ci/cancel/-x': jobCommit,
    'refs/ci/jobs/blobjob': blob,
    'refs/ci/results/treejob': tree,
  };
  for (const [ref, oid] of Object.entries(hostile)) await git(['update-ref', ref, oid], { cwd: s.coordPath });

  const statusJson = await refci(['status', '--coord', s.coord, '--json'], { env: s.env });
  t.is(statusJson.exitCode, 0, statusJson.stderr);
  const report = JSON.parse(statusJson.stdout);
  const ignored = Object.fromEntries(report.ignoredRefs.map((r: { ref: string; reason: string }) => [r.ref, r.reason]));
  t.deepEqual(Object.keys(ignored).sort(), Object.keys(hostile).sort());
  t.regex(ignored['refs/ci/jobs/a/b'], /the id "a\/b" does not match/);
  t.regex(ignored['refs/ci/jobs/blobjob'], /points at a blob, not a commit/);
  t.regex(ignored['refs/ci/results/treejob'], /points at a tree, not a commit/);
  t.deepEqual(report.jobs.map((j: { id: string }) => j.id), [valid], 'only the real job is a job');
  const text = await refci(['status', '--coord', s.coord], { env: s.env });
  for (const ref of Object.keys(hostile)) t.is(text.stdout.split(`ignored ref ${ref}:`).length - 1, 1, `${ref} listed once`);

  const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1'], { env: s.env });
  t.is(work.exitCode, 0, work.stderr);
  t.regex(work.stdout, new RegExp(`${valid}: success`));
  t.notRegex(work.stdout + work.stderr, /ignored ref|a\/b|blobjob|treejob/, 'the worker says nothing about them');
  const collect = await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/out`], { env: s.env });
  t.is(collect.exitCode, 0, collect.stderr);
  t.regex(collect.stdout, /archived 1 job/);
  for (const [ref, oid] of Object.entries(hostile)) {
    t.is((await git(['rev-parse', ref], { cwd: s.coordPath })).stdout.trim(), oid, `${ref} left alone`);
  }
});

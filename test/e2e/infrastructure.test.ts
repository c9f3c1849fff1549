import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../../src/config/defaults.ts';
import { createSampleEbuildRepo } from '../../src/demo/sample-repo.ts';
import { git } from '../../src/git/runner.ts';
import { refci } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { STANDIN_BIN } from '../gentoo/helpers.ts';

const lockJson = async (coord: string, spec: string) => JSON.parse((await git(['cat-file', 'blob', `${spec}:lock.json`], { cwd: coord })).stdout);

/**
 * pmaint answers its version command (an absolute path) but is not on the
 * PATH the steps run with: the job cannot run on such a host. It is handed
 * back, counted, taken at once by the next worker, and given up as the
 * fleet's problem once its attempts are used; other jobs are untouched.
 */
/** A sample repository, a coordination repository, and workers with and without pmaint on the steps' PATH. */
async function fleet(t: ExecutionContext, settings: Record<string, unknown> = {}) {
  const dir = tempDir(t);
  const coord = path.join(dir, 'coord.git');
  const sample = await createSampleEbuildRepo(path.join(dir, 'gentoo'));
  const config = defaultConfig();
  config.tools.pmaint = { versionCommand: [path.join(STANDIN_BIN, 'pmaint'), '--version'] };
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ ...config, sandbox: 'off', ...settings }));
  t.is((await refci(['init', coord])).exitCode, 0);
  const onlyPkgcheck = path.join(dir, 'only-pkgcheck');
  fs.mkdirSync(onlyPkgcheck);
  fs.symlinkSync(path.join(STANDIN_BIN, 'pkgcheck'), path.join(onlyPkgcheck, 'pkgcheck'));
  const broken = (name: string) => ({ REFCI_ALLOW_LOCAL_REPOS: '1', REFCI_STATE_DIR: path.join(dir, `state-${name}`), PATH: `${onlyPkgcheck}:${process.env.PATH}` });
  const healthy = { REFCI_ALLOW_LOCAL_REPOS: '1', REFCI_STATE_DIR: path.join(dir, 'state-healthy'), PATH: `${STANDIN_BIN}:${process.env.PATH}` };
  const enqueue = async (pr: number) => {
    const args = ['enqueue', '--coord', coord, '--repo', sample.path, '--base', 'master', '--head', `pr/${pr}`, '--pr', String(pr), '--pipeline', 'gentoo', '--max-attempts', '2', '--priority', String(10 - pr)];
    return (await refci(args, { env: healthy })).stdout.trim();
  };
  const work = (id: string, env: Record<string, string>) => refci(['work', '--coord', coord, '--once', '--pipelines', 'gentoo', '--worker-id', id, '--config', configFile], { env });
  return { dir, coord, broken, healthy, enqueue, work };
}

test('a step whose tool cannot start hands the job back; after the last attempt it ends as a CI infrastructure problem', async (t) => {
  const { coord, broken, healthy, enqueue, work } = await fleet(t);
  const first = await enqueue(2);
  const second = await enqueue(4);

  const b1 = await work('b1', broken('b1'));
  t.is(b1.exitCode, 9, 'after the failure it serves nothing it can run');
  t.regex(b1.stdout, new RegExp(`${first}: handed back after attempt 1 of 2, not judged: CI infrastructure problem: step regen could not start pmaint: .*ENOENT`));
  t.regex(b1.stdout, /ran 1 job\(s\), published 0, lost 0, handed back 1/);
  const released = await lockJson(coord, `refs/ci/locks/${first}`);
  t.like(released, { event: 'release', worker: 'b1', attempt: 1 });
  t.regex(released.reasons[0], /^CI infrastructure problem: step regen could not start pmaint/);
  t.false((await git(['rev-parse', '--verify', '--quiet', `refs/ci/locks/${second}`], { cwd: coord, allowFailure: true })).exitCode === 0, 'b1 took no other job');
  const status = JSON.parse((await refci(['status', '--coord', coord, '--json'], { env: healthy })).stdout);
  t.regex(status.workers.find((w: { id: string }) => w.id === 'b1').blocked.gentoo, /^CI infrastructure problem: .*\(on this host; trying again in 10m\)$/);

  // The next worker takes the job over at once, without waiting for a lease, as attempt 2: the last.
  const b2 = await work('b2', broken('b2'));
  t.regex(b2.stdout, new RegExp(`${first}: claimed by b2, attempt 2`));
  const result = JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${first}:result.json`], { cwd: coord })).stdout);
  t.is(result.status, 'error');
  t.regex(result.reason, /^CI infrastructure problem: step regen could not start pmaint: .*ENOENT.* \(attempt 2 of 2; giving up, the pull request was not judged\)$/);
  const chain = (await git(['log', '--first-parent', '--format=%s', `refs/ci/results/${first}`], { cwd: coord })).stdout.split('\n');
  t.regex(chain[1], new RegExp(`^takeover ${first} by b2 from b1, attempt 2`));
  t.regex(chain[2], new RegExp(`^release ${first} by b1, attempt 1: CI infrastructure problem`));

  const ok = await work('healthy', healthy);
  t.is(ok.exitCode, 0, ok.stdout + ok.stderr);
  const other = JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${second}:result.json`], { cwd: coord })).stdout);
  t.like(other, { worker: 'healthy', attempt: 1, status: 'success' });
});

test('a worker whose jobs keep failing because of its host drains itself, says why, and claims again after undrain', async (t) => {
  const { coord, broken, healthy, enqueue, work } = await fleet(t, { quarantineAfter: 1 });
  const first = await enqueue(2);
  const b1 = await work('b1', broken('b1'));
  t.regex(b1.stdout, /quarantined: the last 1 jobs failed on this host, not because of their pull requests: CI infrastructure problem: step regen could not start pmaint.*; refci worker undrain b1 resumes/);
  const drain = JSON.parse((await git(['cat-file', 'blob', 'refs/ci/drain/b1:drain.json'], { cwd: coord })).stdout);
  t.like(drain, { worker: 'b1', by: 'b1' });
  t.regex(drain.reason, /^quarantined: /);
  const status = JSON.parse((await refci(['status', '--coord', coord, '--json'], { env: healthy })).stdout);
  t.regex(status.workers.find((w: { id: string }) => w.id === 'b1').drainReason, /^quarantined: /);
  const again = await work('b1', broken('b1'));
  t.regex(again.stdout, /drained: claiming no more jobs \(refci worker undrain b1 resumes\)/);
  t.regex(again.stdout, /ran 0 job\(s\)/);
  t.regex((await refci(['worker', 'undrain', 'b1', '--coord', coord], { env: healthy })).stdout, /undrained b1/);
  const ok = await work('healthy', healthy);
  t.regex(ok.stdout, new RegExp(`${first}: success`), ok.stdout);
});

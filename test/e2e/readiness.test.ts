import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../../src/config/defaults.ts';
import { createSampleEbuildRepo } from '../../src/demo/sample-repo.ts';
import { git } from '../../src/git/runner.ts';
import { refci } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { STANDIN_BIN } from '../gentoo/helpers.ts';

/**
 * Issue 9: a worker without pmaint claimed every gentoo job and failed them
 * all. Tools are found on PATH here, as on a real host: the healthy worker
 * has both stand-ins, the broken one only pkgcheck.
 */
test('a worker whose PATH lacks pmaint claims no gentoo job, exits 9 and says why; a healthy one runs them all', async (t) => {
  const dir = tempDir(t);
  const coord = path.join(dir, 'coord.git');
  const sample = await createSampleEbuildRepo(path.join(dir, 'gentoo'));
  const configFile = path.join(dir, 'config.json');
  // The sandbox is left out: this test is about which tools answer on PATH.
  fs.writeFileSync(configFile, JSON.stringify({ ...defaultConfig(), sandbox: 'off' }));
  t.is((await refci(['init', coord])).exitCode, 0);
  const onlyPkgcheck = path.join(dir, 'only-pkgcheck');
  fs.mkdirSync(onlyPkgcheck);
  fs.symlinkSync(path.join(STANDIN_BIN, 'pkgcheck'), path.join(onlyPkgcheck, 'pkgcheck'));
  const broken = { REFCI_ALLOW_LOCAL_REPOS: '1', REFCI_STATE_DIR: path.join(dir, 'state-broken'), PATH: `${onlyPkgcheck}:${process.env.PATH}` };
  const healthy = { REFCI_ALLOW_LOCAL_REPOS: '1', REFCI_STATE_DIR: path.join(dir, 'state-healthy'), PATH: `${STANDIN_BIN}:${process.env.PATH}` };

  const ids: string[] = [];
  for (const pr of [1, 2, 4]) {
    const out = await refci(['enqueue', '--coord', coord, '--repo', sample.path, '--base', 'master', '--head', `pr/${pr}`, '--pr', String(pr), '--pipeline', 'gentoo'], { env: healthy });
    t.is(out.exitCode, 0, out.stderr);
    ids.push(out.stdout.trim());
  }

  const work = ['work', '--coord', coord, '--once', '--pipelines', 'gentoo', '--config', configFile];
  const refused = await refci([...work, '--worker-id', 'broken'], { env: broken });
  t.is(refused.exitCode, 9, refused.stdout + refused.stderr);
  t.regex(refused.stdout, /not claiming pipeline gentoo jobs: `pmaint --version` does not run: pmaint is missing on this host/);
  t.regex(refused.stdout, /ran 0 job\(s\)/);
  t.regex(refused.stderr, /^refci work: worker broken can run none of its pipelines on this host \(gentoo: `pmaint --version` does not run/m);
  const locks = (await git(['for-each-ref', '--format=%(refname)', 'refs/ci/locks/'], { cwd: coord })).stdout.trim();
  t.is(locks, '', 'the broken worker claimed nothing');

  const status = JSON.parse((await refci(['status', '--coord', coord, '--json'], { env: healthy })).stdout);
  const row = status.workers.find((w: { id: string }) => w.id === 'broken');
  t.deepEqual(row.pipelines, []);
  t.regex(row.blocked.gentoo, /`pmaint --version` does not run: pmaint is missing on this host/);
  t.regex(status.queue[0].note, /no worker can run gentoo now \(broken: `pmaint --version` does not run/);
  const text = await refci(['status', '--coord', coord], { env: healthy });
  t.regex(text.stdout, /broken cannot run gentoo: `pmaint --version` does not run: pmaint is missing on this host/);

  const ran = await refci([...work, '--worker-id', 'healthy'], { env: healthy });
  t.is(ran.exitCode, 0, ran.stdout + ran.stderr);
  t.regex(ran.stdout, /ran 3 job\(s\), published 3/);
  for (const id of ids) {
    const result = JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${id}:result.json`], { cwd: coord })).stdout);
    t.is(result.worker, 'healthy');
    t.not(result.status, 'error', result.reason);
  }
});

import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { git } from '../../src/git/runner.ts';
import { refci } from '../helpers/cli.ts';
import { scenario } from '../helpers/coord.ts';
import { editConfig, standInTool } from './helpers.ts';

// On a real repository: the checks an admin runs against a deployment, fetch and leased pushes over git included.
test('doctor on a healthy worker: every check passes, the scratch ref is gone afterwards', async (t) => {
  const s = await scenario(t, 'file', 0);
  const out = await refci(['doctor', '--coord', s.coord, '--worker-id', 'w1', '--pipelines', 'check,noop', '--min-free', '0'], { env: s.env });
  t.is(out.exitCode, 0, out.stdout + out.stderr);
  t.regex(out.stdout, /^ok {4}git: git version \d/m);
  t.regex(out.stdout, /^ok {4}fetch: /m);
  t.regex(out.stdout, /^ok {4}push: created and deleted refs\/ci\/doctor\/\S+ with leases$/m);
  t.regex(out.stdout, /^ok {4}configuration: refs\/heads\/config at [0-9a-f]{12} is valid$/m);
  t.regex(out.stdout, /^ok {4}tool git: git version/m);
  t.regex(out.stdout, /^ok {4}sandbox: no step of this worker's pipelines asks for it$/m);
  t.regex(out.stdout, /^ok {4}disk space: [\d.]+ GiB free/m);
  t.regex(out.stdout, /^all checks passed/m);
  t.is((await git(['for-each-ref', 'refs/ci/doctor/'], { cwd: s.coordPath })).stdout, '');
});

test('doctor on a broken worker: says what is wrong and how to fix it, and exits 1', async (t) => {
  const s = await scenario(t, 'memory', 0);
  // Pushes are refused by the repository's hook; a wanted tool version is not there; another tool is missing.
  s.memory!.declines = () => 'refs/ci is read-only for you';
  const fake = standInTool(s.dir, 'fake', '1.0');
  const config = path.join(s.dir, 'doctor-config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      tools: { fake: { versionCommand: [fake.bin, '--version'], want: '2.0' }, gone: { versionCommand: [path.join(s.dir, 'no-such-tool')] } },
      pipelines: { faked: { kind: 'steps', checkout: false, tools: ['fake', 'gone'], steps: [] } },
    }),
  );
  const out = await refci(['doctor', '--coord', s.coord, '--worker-id', 'w1', '--pipelines', 'faked', '--config', config, '--min-free', '0'], { env: s.env });
  t.is(out.exitCode, 1, out.stdout + out.stderr);
  t.regex(out.stdout, /^FAIL {2}push: a test push to refs\/ci\/doctor\/\S+ was refused: .*$/m);
  t.regex(out.stdout, /^ {6}fix: this host needs push access to refs\/ci\/ of the coordination repository/m);
  t.regex(out.stdout, /^FAIL {2}tool fake: fake is "fake 1\.0", wanted 2\.0; pipelines faked are not claimed until it is$/m);
  t.regex(out.stdout, /^ {6}fix: install fake 2\.0, or add tools\.fake\.update\.default to the configuration$/m);
  t.regex(out.stdout, /^FAIL {2}tool gone: `\S+no-such-tool` does not run/m);
  t.regex(out.stdout, /^3 problems found$/m);

  const unreachable = await refci(['doctor', '--coord', path.join(s.dir, 'missing.git'), '--main', '--json', '--min-free', '0'], { env: s.env });
  t.is(unreachable.exitCode, 1);
  const report = JSON.parse(unreachable.stdout);
  t.false(report.ok);
  const fetch = report.checks.find((c: { name: string }) => c.name === 'fetch');
  t.is(fetch.status, 'fail');
  t.regex(fetch.fix, /check the URL/);
  t.false(report.checks.some((c: { name: string }) => c.name.startsWith('tool')), '--main checks no tools');
});

test('doctor --main checks the forge tokens from the environment, never printing them, and never reads a token file the configuration branch names', async (t) => {
  const s = await scenario(t, 'memory', 0);
  const missing = path.join(s.dir, 'codeberg-token');
  await editConfig(s, (c) => (c.forges = { codeberg: { tokenFile: missing } }), 'Codeberg token file');
  const out = await refci(['doctor', '--coord', s.coord, '--main', '--json', '--min-free', '0'], { env: { ...s.env, GITHUB_TOKEN: 'ghp_doctorsecret' } });
  const report = JSON.parse(out.stdout);
  t.like(report.checks.find((c: { name: string }) => c.name === 'GitHub token'), { status: 'ok', detail: 'from GITHUB_TOKEN' });
  t.false(report.checks.some((c: { name: string }) => c.name === 'Codeberg token'), 'the branch named a token file; CODEBERG_TOKEN is unset: nothing to check');
  const codeberg = report.checks.find((c: { name: string }) => c.name === 'Codeberg settings');
  t.is(codeberg.status, 'warn');
  t.is(codeberg.detail, 'the configuration branch sets forges.codeberg.tokenFile, which refci ignores');
  t.false(out.stdout.includes('ghp_doctorsecret'));
  t.is(out.exitCode, 0, out.stdout);
});

test('doctor on an overlay worker: says the line a worker says for a master the configuration lacks, and for a missing master checkout', async (t) => {
  const s = await scenario(t, 'memory', 0);
  const config = path.join(s.dir, 'overlay-config.json');
  fs.writeFileSync(config, JSON.stringify({ pipelines: { overlay: { kind: 'gentoo', checkout: true, steps: [] } } }));
  const args = ['doctor', '--worker-id', 'w1', '--pipelines', 'overlay', '--config', config, '--min-free', '0'];
  const first = await refci(args, { env: s.env });
  t.notRegex(first.stdout, /masters of overlay/, 'nothing known about the repository yet');
  // What a worker recorded from the overlay's layout.conf on an earlier run, in its state folder.
  const state = /state folder: (\S+) is writable/.exec(first.stdout)![1];
  fs.writeFileSync(path.join(state, 'repository-masters.json'), JSON.stringify({ overlay: { 'https://example.org/overlay.git': ['gentoo'] } }));
  const missing = await refci(args, { env: s.env });
  t.is(missing.exitCode, 1, missing.stdout + missing.stderr);
  t.regex(
    missing.stdout,
    /^FAIL {2}masters of overlay: metadata\/layout\.conf of pipeline overlay's repository names master gentoo, which the configuration does not give; set pipelines\.overlay\.masters\.gentoo\.path to the master's checkout \(docs\/deploy\.md, Overlays\)$/m,
  );
  const gentoo = path.join(s.dir, 'gentoo');
  fs.writeFileSync(config, JSON.stringify({ pipelines: { overlay: { kind: 'gentoo', checkout: true, steps: [], masters: { gentoo: { path: gentoo } } } } }));
  const noCheckout = await refci(args, { env: s.env });
  t.regex(noCheckout.stdout, new RegExp(`^FAIL {2}masters of overlay: pipelines\\.overlay\\.masters\\.gentoo\\.path is ${gentoo.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, which holds no ebuild repository`, 'm'));
  fs.mkdirSync(path.join(gentoo, 'profiles'), { recursive: true });
  fs.writeFileSync(path.join(gentoo, 'profiles', 'categories'), 'app-misc\n');
  const fine = await refci(args, { env: s.env });
  t.notRegex(fine.stdout, /masters of overlay/);
});

import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { masterSchema } from '../../src/config/schema.ts';
import { withStandIns } from '../../src/demo/stand-ins.ts';
import { git } from '../../src/git/runner.ts';
import { newJob } from '../../src/protocol/job.ts';
import { gentooBeforeSteps } from '../../src/run/gentoo.ts';
import type { MasterSpec } from '../../src/run/master-checkout.ts';
import { runPipeline } from '../../src/run/pipeline.ts';
import { Workspace } from '../../src/run/workspace.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { RefciError } from '../../src/errors.ts';
import { mastersProblems, recordNamedMasters } from '../../src/fleet/masters-gate.ts';
import { readCategoriesWithMasters, readLayoutMasters } from '../../src/gentoo/changed-paths.ts';
import { layoutMasters, missingMasters, missingMastersLine, parseLayoutConf } from '../../src/gentoo/layout-conf.ts';
import { tempDir } from '../helpers/temp.ts';
import { jobRunDefaults } from '../helpers/job-run.ts';

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

test('layout.conf: masters in order, comments skipped, the repository itself left out', (t) => {
  const text = '# overlay\nrepo-name = myoverlay\nmasters = gentoo  science # both\nthin-manifests = true\n';
  t.deepEqual(parseLayoutConf(text), { 'repo-name': 'myoverlay', masters: 'gentoo  science', 'thin-manifests': 'true' });
  t.deepEqual(layoutMasters(text), ['gentoo', 'science']);
  t.deepEqual(layoutMasters('masters = myoverlay gentoo\n', 'myoverlay'), ['gentoo']);
  t.deepEqual(layoutMasters('masters =\n'), []);
  t.deepEqual(layoutMasters(''), []);
});

test('a named master the pipeline does not configure is one line naming it and the fix', (t) => {
  t.deepEqual(missingMasters(['gentoo', 'science'], { gentoo: {} }), ['science']);
  t.deepEqual(missingMasters(['gentoo'], undefined), ['gentoo']);
  t.is(
    missingMastersLine('overlay', ['gentoo']),
    "metadata/layout.conf of pipeline overlay's repository names master gentoo, which the configuration does not give; set pipelines.overlay.masters.gentoo.path to the master's checkout (docs/deploy.md, Overlays)",
  );
});

test('categories are the union of the repository\'s and its masters\'; a master without profiles/categories is a one-line error', async (t) => {
  const dir = tempDir(t);
  const overlay = path.join(dir, 'overlay');
  const gentoo = path.join(dir, 'gentoo');
  write(overlay, 'metadata/layout.conf', 'masters = gentoo\n');
  write(overlay, 'profiles/repo_name', 'myoverlay\n');
  write(overlay, 'profiles/categories', 'dev-overlay\n');
  write(gentoo, 'profiles/categories', 'app-misc\ndev-libs\n');
  t.deepEqual(await readLayoutMasters(overlay), ['gentoo']);
  t.deepEqual([...(await readCategoriesWithMasters(overlay, [{ name: 'gentoo', path: gentoo }]))!].sort(), ['app-misc', 'dev-libs', 'dev-overlay']);
  t.deepEqual([...(await readCategoriesWithMasters(overlay, []))!], ['dev-overlay']);
  const error = await t.throwsAsync(readCategoriesWithMasters(overlay, [{ name: 'gentoo', path: path.join(dir, 'nowhere') }]), { instanceOf: RefciError });
  t.is(error?.oneLine(), `master gentoo at ${path.join(dir, 'nowhere')} has no profiles/categories; check out the gentoo repository there, or correct the pipeline's masters.gentoo.path`);
});

test('a worker refuses an overlay pipeline once its repository named an unconfigured master, and while a master checkout is missing', (t) => {
  const stateDir = tempDir(t);
  const config = defaultConfig();
  config.pipelines.overlay = { ...config.pipelines.gentoo };
  t.deepEqual(mastersProblems(config, ['gentoo', 'overlay', 'check'], stateDir), {});
  recordNamedMasters(stateDir, 'overlay', 'https://example.org/overlay.git', ['gentoo']);
  t.deepEqual(mastersProblems(config, ['gentoo', 'overlay', 'check'], stateDir), { overlay: missingMastersLine('overlay', ['gentoo']) });
  const gentoo = path.join(stateDir, 'gentoo');
  config.pipelines.overlay.masters = { gentoo: { path: gentoo } };
  t.deepEqual(mastersProblems(config, ['overlay'], stateDir), {
    overlay: `pipelines.overlay.masters.gentoo.path is ${gentoo}, which holds no ebuild repository (no profiles/categories) on this host; check out gentoo there or correct the path`,
  });
  write(gentoo, 'profiles/categories', 'app-misc\n');
  t.deepEqual(mastersProblems(config, ['overlay'], stateDir), {});
});

// Masters the workers mirror: a url master served from a local bare repository (real git), and one that cannot be fetched.

const GREET = '# @ECLASS: greet.eclass\n# @MAINTAINER:\n# x@example.org\nHOMEPAGE="https://example.org/greet"\n';
const OVERLAY_EBUILD = 'EAPI=8\ninherit greet\nDESCRIPTION="An overlay package for tests"\nSLOT="0"\nKEYWORDS="~amd64"\n';

async function commitTree(dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [rel, text] of Object.entries(files)) write(dir, rel, text);
  await git(['add', '-A'], { cwd: dir });
  await git(['-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '--quiet', '-m', message], { cwd: dir });
  return (await git(['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
}

async function overlayJob(t: ExecutionContext, master: MasterSpec) {
  const dir = tempDir(t);
  const overlay = path.join(dir, 'overlay');
  await git(['init', '--quiet', '-b', 'master', overlay]);
  const base = await commitTree(overlay, { 'metadata/layout.conf': 'masters = gentoo\n', 'profiles/repo_name': 'myoverlay\n', 'app-misc/hello/hello-1.ebuild': OVERLAY_EBUILD }, 'base');
  const head = await commitTree(overlay, { 'app-misc/hello/hello-1.1.ebuild': OVERLAY_EBUILD }, 'bump');
  const config = { ...withStandIns(defaultConfig()), sandbox: 'off' as const };
  config.pipelines.overlay = { ...config.pipelines.gentoo, masters: { gentoo: master } };
  const stateDir = path.join(dir, 'state');
  const run = () =>
    runPipeline({
      job: newJob({ repo: overlay, base, head, pipeline: 'overlay', createdAt: '2026-01-01T00:00:00.000Z' }),
      pipeline: config.pipelines.overlay,
      config,
      workspace: new Workspace(stateDir, { allowLocalRepos: true }),
      ...jobRunDefaults(),
      wrap: (argv) => ({ argv, sandboxed: false }),
      beforeSteps: gentooBeforeSteps(config, stateDir),
      // The host's own repos.conf is not where the master is found.
      env: { ...process.env, PORTAGE_CONFIGROOT: path.join(dir, 'no-host-config') },
    });
  return { dir, run, stateDir };
}

test('a url master is mirrored, brought to its branch head and named in the job\'s repos.conf; the result records its commit', async (t) => {
  const dir = tempDir(t);
  const work = path.join(dir, 'gentoo-work');
  await git(['init', '--quiet', '-b', 'master', work]);
  const first = await commitTree(work, { 'profiles/repo_name': 'gentoo\n', 'profiles/categories': 'app-misc\n', 'eclass/greet.eclass': GREET }, 'gentoo');
  const served = path.join(dir, 'gentoo.git');
  await git(['clone', '--quiet', '--bare', work, served]);
  const { run, stateDir } = await overlayJob(t, { url: served, branch: 'master' });
  const one = await run();
  t.is(one.result.status, 'success', one.result.reason);
  t.deepEqual(one.result.details.masterCommits, { gentoo: { url: served, commit: first } });
  t.deepEqual((one.result.details.scope as { masters: string[] }).masters, ['gentoo']);
  // The master moves on: the next job uses its new head.
  const second = await commitTree(work, { 'eclass/greet.eclass': GREET.replace('greet"', 'greet2"') }, 'greet: new homepage');
  await git(['push', '--quiet', served, 'master'], { cwd: work });
  const two = await run();
  t.is(two.result.status, 'success', two.result.reason);
  t.deepEqual(two.result.details.masterCommits, { gentoo: { url: served, commit: second } });
  t.true(fs.existsSync(path.join(stateDir, 'master-trees')));
  // pmaint and pkgcheck were given the job's repos.conf folder (pkgcore's --config, before the subcommand).
  t.deepEqual(two.result.steps.find((s) => s.name === 'regen')?.argv.slice(0, 3).map((a, i) => (i === 2 ? path.basename(path.dirname(a)) : path.basename(a))), ['pmaint', '--config', 'portage']);
});

test('a url master that cannot be fetched is an error verdict with one line: the master, the URL without its password, git\'s cause, the fix', async (t) => {
  const { run } = await overlayJob(t, { url: 'https://ci:s3cret@127.0.0.1:1/gentoo.git' });
  const { result } = await run();
  t.is(result.status, 'error');
  t.regex(result.reason, /^master gentoo \(https:\/\/ci:\[redacted\]@127\.0\.0\.1:1\/gentoo\.git\) cannot be fetched: fatal: .+; check pipelines\.overlay\.masters\.gentoo\.url and that this worker can reach it$/);
  t.false(result.reason.includes('s3cret'));
  t.false(result.reason.includes('\n'));
  t.is(result.steps.length, 0, 'no step ran');
});

test('configuration: a master gives either path or url; branch and commit go with url', (t) => {
  t.true(masterSchema.safeParse({ path: '/var/db/repos/gentoo' }).success);
  t.true(masterSchema.safeParse({ url: 'https://example.org/gentoo.git', branch: 'master', commit: 'a'.repeat(40) }).success);
  t.false(masterSchema.safeParse({ path: '/x', url: 'https://example.org/gentoo.git' }).success);
  t.false(masterSchema.safeParse({}).success);
  t.false(masterSchema.safeParse({ path: '/x', branch: 'master' }).success);
  t.false(masterSchema.safeParse({ url: '--upload-pack=x' }).success);
  t.false(masterSchema.safeParse({ url: 'https://example.org/g.git', commit: 'abc' }).success);
});

test('doctor and the claim gate: a url master counts as configured and is not looked for on disk before its first job', (t) => {
  const stateDir = tempDir(t);
  const config = defaultConfig();
  config.pipelines.overlay = { ...config.pipelines.gentoo, masters: { science: { url: 'https://example.org/science.git' } } };
  recordNamedMasters(stateDir, 'overlay', 'https://example.org/overlay.git', ['gentoo', 'science']);
  t.deepEqual(mastersProblems(config, ['overlay'], stateDir), { overlay: missingMastersLine('overlay', ['gentoo']) });
  config.pipelines.overlay.masters!.gentoo = { url: 'https://example.org/never-mirrored.git', branch: 'master' };
  t.deepEqual(mastersProblems(config, ['overlay'], stateDir), {});
});

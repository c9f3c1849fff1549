import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../../src/config/defaults.ts';
import { withStandIns } from '../../src/demo/stand-ins.ts';
import { createSampleEbuildRepo } from '../../src/demo/sample-repo.ts';
import { git } from '../../src/git/runner.ts';
import { historyShard } from '../../src/protocol/ids.ts';
import { refci } from '../helpers/cli.ts';
import type { Scenario } from '../helpers/coord.ts';
import { editConfig } from '../fleet/helpers.ts';
import { tempDir } from '../helpers/temp.ts';

/** A coordination repository, the sample ebuild repository and a configuration with the stand-ins. */
async function gentooSetup(t: ExecutionContext) {
  const dir = tempDir(t);
  const env = { REFCI_STATE_DIR: path.join(dir, 'state'), REFCI_ALLOW_LOCAL_REPOS: '1' };
  const coord = path.join(dir, 'coord.git');
  const sample = await createSampleEbuildRepo(path.join(dir, 'gentoo'));
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(withStandIns(defaultConfig())));
  await refci(['init', coord]);
  return { dir, env, coord, sample, configFile };
}

test('the gentoo pipeline scans only what a PR touches, records how, and the collector diffs per finding', async (t) => {
  const { dir, env, coord, sample, configFile } = await gentooSetup(t);
  const ids: Record<string, string> = {};
  for (const pr of [2, 4]) {
    const out = await refci(['enqueue', '--coord', coord, '--repo', sample.path, '--base', 'master', '--head', `pr/${pr}`, '--pr', String(pr)], { env });
    t.is(out.exitCode, 0, out.stderr);
    ids[pr] = out.stdout.trim();
  }
  const work = await refci(['work', '--coord', coord, '--once', '--worker-id', 'w1', '--config', configFile], { env });
  t.is(work.exitCode, 0, work.stderr);

  const result = JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${ids[2]}:result.json`], { cwd: coord })).stdout);
  t.is(result.status, 'success');
  t.is(result.tools.pkgcheck, 'pkgcheck 0.10.41-standin');
  t.regex(result.tools.pmaint, /standin/);
  t.deepEqual(result.details.scope.targets, ['app-misc/oldtool']);
  const scans = result.steps.filter((s: { name: string }) => s.name.startsWith('scan-'));
  // Each tree is scanned under its own repos.conf (--config <job>/portage/<tree>), with the same targets and options.
  t.deepEqual(
    scans.map((s: { argv: string[] }) => [s.argv[1], s.argv[2]?.replace(/^.*\/portage\//, '…/portage/'), ...s.argv.slice(3)]),
    [
      ['--config', '…/portage/merged', 'scan', '-R', 'JsonStream', '-p', 'stable,dev', '--cache=-git', 'app-misc/oldtool'],
      ['--config', '…/portage/base', 'scan', '-R', 'JsonStream', '-p', 'stable,dev', '--cache=-git', 'app-misc/oldtool'],
    ],
    'the base and the merged tree are scanned with the same targets and options',
  );
  for (const step of result.steps) t.true(step.durationMs >= 0 && step.exitCode === 0);
  t.true(result.artifacts.includes('outputs/head.jsonl') && result.artifacts.includes('outputs/base.jsonl'));
  t.is(typeof result.sandboxed, 'boolean');

  const eclass = JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${ids[4]}:result.json`], { cwd: coord })).stdout);
  t.deepEqual(eclass.details.scope.eclasses, ['toolchain-funcs']);
  t.true(eclass.details.scope.targets.includes('dev-libs/libfoo'));

  const collect = await refci(['collect', '--coord', coord, '--once', '--out', path.join(dir, 'out'), '--config', configFile], { env });
  t.regex(collect.stdout, new RegExp(`${ids[2]}: failure: 1 new error: UnknownLicense`));
  const files = (await git(['ls-tree', '-r', '--name-only', 'refs/ci/history'], { cwd: coord })).stdout;
  for (const name of ['report.md', 'report.html', 'qa.json', 'summary.json']) {
    t.true(files.includes(`jobs/${historyShard(ids[2])}/${ids[2]}/${name}`), name);
  }
  const qa = JSON.parse((await git(['cat-file', 'blob', `refs/ci/history:jobs/${historyShard(ids[2])}/${ids[2]}/qa.json`], { cwd: coord })).stdout);
  t.is(qa.verdict.status, 'failure');
  t.true(result.artifacts.includes('outputs/head.messages.jsonl'), 'pkgcheck replay -R JsonReporter ran on the scan');
  t.is(qa.new[0].message, 'unknown license: Artistic-2', "the report shows pkgcheck's message");
  t.is(qa.new[0].level, 'error');
});

test('refci qa-diff exits 1 on new counting findings and 3 on an unreadable file', async (t) => {
  const fixtures = path.join('test', 'fixtures', 'pkgcheck', 'reporter-formats');
  const same = await refci(['qa-diff', '--base', path.join(fixtures, 'JsonStream.jsonl'), '--head', path.join(fixtures, 'JsonStream.jsonl')]);
  t.is(same.exitCode, 0, same.stderr);
  t.is(JSON.parse(same.stdout).verdict.status, 'success');
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'empty.jsonl'), '');
  const added = await refci(['qa-diff', '--base', path.join(dir, 'empty.jsonl'), '--head', path.join(fixtures, 'XmlReporter.xml'), '--format', 'markdown']);
  t.is(added.exitCode, 1);
  t.regex(added.stdout, /new error/);
  const missing = await refci(['qa-diff', '--base', path.join(dir, 'nope.jsonl'), '--head', path.join(dir, 'empty.jsonl')]);
  t.is(missing.exitCode, 3);
  t.regex(missing.stderr, /nope\.jsonl does not exist/);
});

test('the collector decides with the classes of the configuration branch', async (t) => {
  const { dir, env, coord, sample, configFile } = await gentooSetup(t);
  const id = (await refci(['enqueue', '--coord', coord, '--repo', sample.path, '--base', 'master', '--head', 'pr/2', '--pr', '2'], { env })).stdout.trim();
  const work = await refci(['work', '--coord', coord, '--once', '--worker-id', 'w1', '--config', configFile], { env });
  t.is(work.exitCode, 0, work.stderr);

  // An operator makes UnknownLicense a warning, with plain git on the configuration branch.
  const change = await editConfig({ dir, coordPath: coord } as Scenario, (c) => (c.gentoo.classes = 'classes.json'), 'UnknownLicense is a warning', {
    'classes.json': JSON.stringify({ UnknownLicense: 'warn' }),
  });
  const collect = await refci(['collect', '--coord', coord, '--once', '--out', path.join(dir, 'out')], { env });
  t.is(collect.exitCode, 0, collect.stderr);
  t.regex(collect.stderr + collect.stdout, new RegExp(`configuration ${change.slice(0, 12)} in use`));
  t.regex(collect.stdout, new RegExp(`${id}: success`));
  const qa = JSON.parse(fs.readFileSync(path.join(dir, 'out', id, 'qa.json'), 'utf8'));
  t.is(qa.new[0].keyword, 'UnknownLicense');
  t.is(qa.new[0].class, 'warn');
});

test('refci qa-diff --base-messages/--head-messages shows pkgcheck messages for JsonStream scans', async (t) => {
  const fixtures = path.join('test', 'fixtures', 'pkgcheck', 'reporter-formats');
  const dir = tempDir(t);
  const empty = path.join(dir, 'empty.jsonl');
  fs.writeFileSync(empty, '');
  const args = ['qa-diff', '--base', empty, '--head', path.join(fixtures, 'JsonStream.jsonl'), '--base-messages', empty, '--head-messages', path.join(fixtures, 'JsonReporter.jsonl')];
  const out = await refci(args);
  t.is(out.exitCode, 1, out.stderr);
  const messages = JSON.parse(out.stdout).new.map((f: { message: string }) => f.message);
  t.true(messages.includes('unquoted variable D on lines: 5, 7'), messages.join('\n'));
  const missing = await refci([...args.slice(0, -1), path.join(dir, 'nope.json')]);
  t.is(missing.exitCode, 3);
  t.regex(missing.stderr, /head replay file .*nope\.json does not exist/);
});

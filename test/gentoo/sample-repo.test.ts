// The sample repository keeps its promises: each head, handled the way a
// worker would (merge into master, regen, scope, scan both trees with the
// stand-ins), gives the targets and the new/fixed findings its `expect` says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { RefciError } from '../../src/errors.ts';
import { changedPaths, listPackages, readCategories, readEclassMap } from '../../src/gentoo/changed-paths.ts';
import { createSampleEbuildRepo, SAMPLE_PREEXISTING, type SampleRepo } from '../../src/demo/sample-repo.ts';
import { computeScope, scanArgs, type Scope } from '../../src/gentoo/scope.ts';
import { git } from '../../src/git/runner.ts';
import { addWorktree, mergeInto, multisetMinus, notation, standin } from './helpers.ts';

const SCAN = ['scan', '-R', 'JsonStream', '-p', 'stable,dev', '--cache=-git'];

let root: string;
let sample: SampleRepo;
let masterTree: string;

test.before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-sample-'));
  sample = await createSampleEbuildRepo(path.join(root, 'gentoo'));
  masterTree = await addWorktree(sample.path, path.join(root, 'master'), sample.master);
  const regen = await standin('pmaint', ['regen', '--use-local-desc', '--pkg-desc-index', '-t', '2', masterTree], { cwd: masterTree });
  if (regen.exitCode !== 0) throw new Error(regen.stderr);
});

test.after.always(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

async function scanRuns(tree: string, scope: Scope): Promise<string> {
  let out = '';
  for (const run of scanArgs(scope, { pathExists: (p) => fs.existsSync(path.join(tree, p)) })) {
    const result = await standin('pkgcheck', [...SCAN, ...run.args], { cwd: tree });
    if (result.exitCode !== 0) throw new Error(`pkgcheck ${run.args.join(' ')}: ${result.stderr}`);
    out += result.stdout;
  }
  return out;
}

test('the layout: master is one commit past the fork point, every head forks there', async (t) => {
  t.is((await git(['rev-parse', 'master^'], { cwd: sample.path })).stdout.trim(), sample.base);
  t.deepEqual(
    sample.heads.map((h) => h.name),
    ['pr/1', 'pr/2', 'pr/3', 'pr/4', 'pr/5', 'pr/6', 'pr/7'],
  );
  for (const head of sample.heads) {
    t.is((await git(['merge-base', head.sha, 'master'], { cwd: sample.path })).stdout.trim(), sample.base, head.name);
    t.is((await git(['rev-parse', head.name], { cwd: sample.path })).stdout.trim(), head.sha);
    t.true(head.description.length > 40);
  }
  t.is((await git(['status', '--porcelain'], { cwd: masterTree })).stdout, '', 'regen output is ignored by git');
});

test('the same commits on every run', async (t) => {
  const again = await createSampleEbuildRepo(path.join(root, 'again'));
  t.is(again.base, sample.base);
  t.deepEqual(
    again.heads.map((h) => h.sha),
    sample.heads.map((h) => h.sha),
  );
});

test('refuses a folder that is not empty', async (t) => {
  const error = await t.throwsAsync(createSampleEbuildRepo(sample.path), { instanceOf: RefciError });
  t.is(error?.code, 'invalid-input');
});

test('findings on master are the documented pre-existing ones', async (t) => {
  const full = await standin('pkgcheck', SCAN, { cwd: masterTree });
  t.is(full.exitCode, 0);
  t.deepEqual(notation(full.stdout), [...SAMPLE_PREEXISTING].sort());
  t.deepEqual(sample.preexisting, SAMPLE_PREEXISTING);
});

for (const name of ['pr/1', 'pr/2', 'pr/3', 'pr/4', 'pr/5', 'pr/6', 'pr/7']) {
  test(`${name} behaves as its description says`, async (t) => {
    const pr = sample.heads.find((h) => h.name === name)!;
    const tree = await addWorktree(sample.path, path.join(root, name.replace('/', '-')), sample.master);
    const merged = await mergeInto(tree, pr.sha);
    if (pr.expect.outcome === 'merge-conflict') {
      t.is(merged, undefined, 'merging into master conflicts');
      return;
    }
    if (!merged) return t.fail('the merge failed');
    const regen = await standin('pmaint', ['regen', '--use-local-desc', '--pkg-desc-index', '-t', '2', tree], { cwd: tree });
    if (pr.expect.outcome === 'regen-error') {
      t.not(regen.exitCode, 0);
      t.regex(regen.stderr, /regen-failure/);
      return;
    }
    t.is(regen.exitCode, 0, regen.stderr);

    const categories = await readCategories(tree);
    const scope = computeScope({
      changes: await changedPaths(tree, sample.master, merged),
      eclassesByPackage: await readEclassMap(tree),
      existingPackages: await listPackages(tree, categories),
      categories,
      maxTargets: 200,
    });
    t.is(scope.mode, 'targets');
    t.deepEqual(scope.targets, pr.expect.targets);
    t.is(scope.repoLevel, pr.expect.repoLevel);
    t.deepEqual(scope.eclasses, pr.expect.eclasses);

    // Scoped scans of both trees find what full scans find.
    const before = notation(await scanRuns(masterTree, scope));
    const after = notation(await scanRuns(tree, scope));
    t.deepEqual(multisetMinus(after, before), pr.expect.newFindings, 'new findings');
    t.deepEqual(multisetMinus(before, after), pr.expect.fixedFindings, 'fixed findings');
    const fullBefore = notation((await standin('pkgcheck', SCAN, { cwd: masterTree })).stdout);
    const fullAfter = notation((await standin('pkgcheck', SCAN, { cwd: tree })).stdout);
    t.deepEqual(multisetMinus(fullAfter, fullBefore), pr.expect.newFindings, 'new findings, full scans');
    t.deepEqual(multisetMinus(fullBefore, fullAfter), pr.expect.fixedFindings, 'fixed findings, full scans');
  });
}

/**
 * PR code runs while the merged tree is writable: an ebuild's global scope is
 * sourced by `pmaint regen`, before the merged tree is scanned. Whatever it
 * changes beyond regen's own outputs makes the run an error, so a PR cannot
 * rewrite its ebuild between the regen and the scan and be judged on another.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { FleetConfig } from '../../src/config/types.ts';
import { createSampleEbuildRepo } from '../../src/demo/sample-repo.ts';
import { withStandIns } from '../../src/demo/stand-ins.ts';
import { gitFolderReason, untrustedSymlinksReason, treeChangedReason } from '../../src/gentoo/regen-outputs.ts';
import { treeLinkTargets } from '../../src/gentoo/tree-files.ts';
import { newJob } from '../../src/protocol/job.ts';
import { pipelineRunner } from '../../src/run/job-runner.ts';
import { tempDir } from '../helpers/temp.ts';
import { jobRunDefaults } from '../helpers/job-run.ts';

/** pr/2 of the sample repository (a new UnknownLicense in app-misc/oldtool-0.9) through the gentoo pipeline, its regen followed by `then`. */
async function runPr2(t: ExecutionContext, then: string) {
  const dir = tempDir(t);
  const sample = await createSampleEbuildRepo(path.join(dir, 'gentoo'));
  // The sandbox is not the point here: the check reads the tree after the steps, wherever they ran.
  const config: FleetConfig = { ...withStandIns(defaultConfig()), sandbox: 'off' };
  const gentoo = config.pipelines.gentoo!;
  const steps = gentoo.steps.map((step) => (step.name === 'regen' ? { ...step, run: ['sh', '-c', `"$@" && ${then}`, 'regen', ...step.run] } : step));
  config.pipelines = { ...config.pipelines, gentoo: { ...gentoo, steps } };
  const run = pipelineRunner({ stateDir: path.join(dir, 'state'), allowLocalRepos: true });
  const head = sample.heads.find((h) => h.name === 'pr/2')!.sha;
  const job = newJob({ repo: sample.path, base: sample.base, head, pipeline: 'gentoo', pr: 2, createdAt: '2026-01-01T00:00:00.000Z' });
  return (await run({ job, config, ...jobRunDefaults() })).result;
}

test('a regen that writes only the metadata cache and its indexes leaves the run to its scans', async (t) => {
  const result = await runPr2(t, 'true');
  t.is(result.status, 'success', result.reason);
});

test('a regen during which the PR rewrites its own ebuild makes the run an error naming the file, never a clean scan', async (t) => {
  const result = await runPr2(t, 'sed -i "s/Artistic-2/GPL-2/" app-misc/oldtool/oldtool-0.9.ebuild && touch app-misc/oldtool/planted');
  t.is(result.status, 'error');
  t.is(
    result.reason,
    'the merged tree changed while the steps ran (app-misc/oldtool/oldtool-0.9.ebuild, app-misc/oldtool/planted), not only the metadata regen writes: code of the pull request altered what was scanned, so it cannot be judged',
  );
});

test('regen outputs are the metadata cache, use.local.desc and pkg_desc_index; a removed file counts like any change', (t) => {
  t.is(treeChangedReason(['metadata/md5-cache/app-misc/hello-1.0', 'metadata/cache/app-misc/hello-1.0', 'profiles/use.local.desc', 'metadata/pkg_desc_index']), undefined);
  // Where pmaint does not write it: a file of the PR's.
  t.regex(treeChangedReason(['metadata/use.local.desc'])!, /\(metadata\/use\.local\.desc\)/);
  t.regex(treeChangedReason(['metadata/layout.conf'])!, /\(metadata\/layout\.conf\)/);
  t.regex(treeChangedReason(['a/1', 'a/2', 'a/3', 'a/4', 'a/5', 'a/6', 'a/7'])!, /\(a\/1, a\/2, a\/3, a\/4, a\/5 and 2 more\)/);
});

test('a committed symlink that leads to a file regen writes makes the scan untrustworthy; one elsewhere, dangling or outside does not', (t) => {
  const dir = tempDir(t);
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(path.join(tree, 'app-misc/x'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'metadata/md5-cache/app-misc'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'eclass'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'metadata/md5-cache/app-misc/planted'), 'EAPI=8\n');
  fs.writeFileSync(path.join(tree, 'eclass/a.eclass'), '# eclass\n');
  fs.symlinkSync('../../metadata/md5-cache/app-misc/planted', path.join(tree, 'app-misc/x/x-1.ebuild'));
  fs.symlinkSync('../metadata/md5-cache', path.join(tree, 'app-misc/cache-dir'));
  fs.symlinkSync('../eclass/a.eclass', path.join(tree, 'eclass/b.eclass'));
  fs.symlinkSync('../../nowhere', path.join(tree, 'app-misc/x/dangling'));
  fs.symlinkSync('/etc/hostname', path.join(tree, 'app-misc/x/outside'));
  const targets = treeLinkTargets(tree, ['app-misc/x/x-1.ebuild', 'app-misc/cache-dir', 'eclass/b.eclass', 'app-misc/x/dangling', 'app-misc/x/outside']);
  t.deepEqual(targets, [
    { link: 'app-misc/x/x-1.ebuild', target: 'metadata/md5-cache/app-misc/planted' },
    { link: 'app-misc/cache-dir', target: 'metadata/md5-cache' },
    { link: 'eclass/b.eclass', target: 'eclass/a.eclass' },
    { link: 'app-misc/x/dangling', target: undefined },
    { link: 'app-misc/x/outside', target: undefined },
  ]);
  t.is(
    untrustedSymlinksReason(targets),
    "committed symlinks lead to files the metadata regen writes or git does not see (app-misc/x/x-1.ebuild -> metadata/md5-cache/app-misc/planted, app-misc/cache-dir -> metadata/md5-cache): their content comes from the pull request's code at regen time, so the scan cannot be judged",
  );
  t.is(untrustedSymlinksReason(targets.slice(2)), undefined);
});

test('what git could not read of the tree, and a .git at its root, make the scan untrustworthy as well', (t) => {
  // A folder PR code made unreadable hides its files from git, which says so and exits 0.
  t.is(
    treeChangedReason([], ["warning: could not open directory 'metadata/': Permission denied"]),
    "the merged tree could not be read whole after the steps (warning: could not open directory 'metadata/': Permission denied): code of the pull request may have hidden a change there, so it cannot be judged",
  );
  t.regex(gitFolderReason(true)!, /^a \.git appeared at the root of the merged tree/);
  t.is(gitFolderReason(false), undefined);
  t.regex(untrustedSymlinksReason([{ link: 'app-misc/x/x-2.ebuild', target: '.git/x' }])!, /app-misc\/x\/x-2\.ebuild -> \.git\/x/);
});

test('a regen during which the PR plants a .git at the root (ignore rules for pkgcheck) makes the run an error', async (t) => {
  const result = await runPr2(t, 'mkdir -p .git/info && echo "*" > .git/info/exclude');
  t.is(result.status, 'error');
  t.regex(result.reason, /^a \.git appeared at the root of the merged tree/);
});

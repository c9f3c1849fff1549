// The gentoo pipeline's scope step on an overlay: masters' categories, package
// moves, added versions, and the one line for a master the configuration lacks.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { JobDescriptor } from '../../src/protocol/job.ts';
import { namedMasters } from '../../src/fleet/masters-gate.ts';
import { scopeNeeds } from '../../src/gentoo/scope.ts';
import { gentooBeforeSteps } from '../../src/run/gentoo.ts';
import { git } from '../../src/git/runner.ts';
import { tempDir } from '../helpers/temp.ts';
import { addWorktree, commitAll } from './helpers.ts';
import { preparedTrees } from '../helpers/trees.ts';

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

const EBUILD = 'EAPI=8\nDESCRIPTION="An overlay package for tests"\nSLOT="0"\nKEYWORDS="~amd64"\n';

/** A new repository `dir/name` holding `files`, not committed yet. */
async function repositoryWith(dir: string, name: string, files: Record<string, string>): Promise<string> {
  const repo = path.join(dir, name);
  fs.mkdirSync(repo);
  await git(['init', '--quiet', '-b', 'master', repo]);
  write(repo, files);
  return repo;
}

async function overlay(t: Parameters<typeof tempDir>[0], options: { keepOld?: boolean } = {}) {
  const dir = tempDir(t);
  const repo = await repositoryWith(dir, 'overlay', {
    'metadata/layout.conf': 'masters = gentoo\n',
    'profiles/repo_name': 'myoverlay\n',
    'profiles/categories': 'dev-overlay\n',
    'app-misc/hello/hello-1.0.ebuild': EBUILD,
    'app-misc/old/old-1.ebuild': EBUILD,
  });
  const base = await commitAll(repo, 'base');
  if (!options.keepOld) fs.rmSync(path.join(repo, 'app-misc/old'), { recursive: true });
  write(repo, {
    'app-misc/hello/hello-1.1.ebuild': EBUILD,
    'app-misc/new/new-1.ebuild': EBUILD,
    'profiles/updates/1Q-2026': 'move app-misc/old app-misc/new\n',
  });
  const head = await commitAll(repo, 'bump hello, move old to new');
  const workdir = await addWorktree(repo, path.join(dir, 'merged'), head);
  const basedir = await addWorktree(repo, path.join(dir, 'base'), base);
  const gentoo = path.join(dir, 'gentoo');
  write(gentoo, { 'profiles/categories': 'app-misc\ndev-libs\n', 'profiles/repo_name': 'gentoo\n' });
  const job = { id: 'job-1', pipeline: 'overlay', repo: 'https://example.org/overlay.git' } as JobDescriptor;
  return { dir, gentoo, job, trees: preparedTrees(path.join(dir, 'job'), { workdir, basedir, basis: base, merged: head, gitDir: repo }) };
}

test('with the master configured: its categories count, the move and the bump are recorded, the old name is scanned in the base', async (t) => {
  const { dir, gentoo, job, trees } = await overlay(t);
  const config = defaultConfig();
  config.pipelines.overlay = { ...config.pipelines.gentoo, masters: { gentoo: { path: gentoo } } };
  const out = await gentooBeforeSteps(config, path.join(dir, 'state'))(job, trees);
  const details = out.details as Record<string, any>;
  t.deepEqual(details.scope.targets, ['app-misc/hello', 'app-misc/new']);
  t.deepEqual(details.scope.deleted, ['app-misc/old']);
  t.deepEqual(details.scope.unknownCategories, []);
  t.deepEqual(details.scope.masters, ['gentoo']);
  t.deepEqual(details.moves, [{ from: 'app-misc/old', to: 'app-misc/new' }]);
  t.deepEqual(details.addedVersions, ['app-misc/hello/1.1', 'app-misc/new/1']);
  t.deepEqual(details.scanSettingsChanged, []);
  // profiles/updates changed: the repository-level run too.
  const repoLevel = ['*/*', '-s', 'repo,cat'];
  t.deepEqual(out.scans, { merged: [['app-misc/hello', 'app-misc/new'], repoLevel], base: [['app-misc/hello', 'app-misc/old'], repoLevel] });
  // No eclass changed: the tree's eclass map is not read at all.
  t.deepEqual(details.inheritance, { notRead: 'no eclass changed' });
});

test('without the master configured: one line naming it and the fix, and the worker remembers it', async (t) => {
  const { dir, job, trees } = await overlay(t);
  const config = defaultConfig();
  config.pipelines.overlay = { ...config.pipelines.gentoo };
  const state = path.join(dir, 'state');
  await t.throwsAsync(gentooBeforeSteps(config, state)(job, trees), {
    message: "metadata/layout.conf of pipeline overlay's repository names master gentoo, which the configuration does not give; set pipelines.overlay.masters.gentoo.path to the master's checkout (docs/deploy.md, Overlays)",
  });
  t.deepEqual(namedMasters(state, 'overlay'), ['gentoo']);
});

test('scopeNeeds: the whole tree only when an eclass changed, otherwise the touched packages', (t) => {
  t.deepEqual(scopeNeeds([{ status: 'M', path: 'app-misc/hello/hello-1.ebuild' }, { status: 'A', path: 'profiles/updates/1Q-2026' }, { status: 'M', path: 'metadata/layout.conf' }]), {
    eclassMap: false,
    packages: ['app-misc/hello', 'profiles/updates'],
  });
  t.deepEqual(scopeNeeds([{ status: 'R', path: 'eclass/new.eclass', oldPath: 'dev-libs/x/files/old.eclass' }]), { eclassMap: true, packages: ['dev-libs/x'] });
});

test('a move whose old package the PR keeps renames nothing: the base is not scanned under the old name and no finding is renamed', async (t) => {
  // The old package stays beside the new one: a copy under a new name, not a rename.
  const { dir, gentoo, job, trees } = await overlay(t, { keepOld: true });
  const config = defaultConfig();
  config.pipelines.overlay = { ...config.pipelines.gentoo, masters: { gentoo: { path: gentoo } } };
  const out = await gentooBeforeSteps(config, path.join(dir, 'state'))(job, trees);
  const details = out.details as Record<string, any>;
  t.deepEqual(details.moves, []);
  const repoLevel = ['*/*', '-s', 'repo,cat'];
  t.deepEqual(out.scans?.base, [['app-misc/hello'], repoLevel]);
});

test('a PR that removes a package scans the packages that still name it, and the repository-level checks, in both trees', async (t) => {
  const dir = tempDir(t);
  const repo = await repositoryWith(dir, 'repo', {
    'profiles/repo_name': 'gentoo\n',
    'profiles/categories': 'app-misc\ndev-libs\n',
    'dev-libs/libbar/libbar-1.ebuild': EBUILD,
    'dev-libs/libbar-compat/libbar-compat-1.ebuild': EBUILD,
    'app-misc/hello/hello-1.0.ebuild': `${EBUILD}RDEPEND=">=dev-libs/libbar-1:="\n`,
    'app-misc/other/other-1.ebuild': `${EBUILD}RDEPEND="dev-libs/libbar-compat"\n`,
    // A hostile folder name that also names the removed package: never a scan argument.
    '-r.evil/x/x-1.ebuild': `${EBUILD}RDEPEND="dev-libs/libbar"\n`,
  });
  const base = await commitAll(repo, 'base');
  fs.rmSync(path.join(repo, 'dev-libs/libbar'), { recursive: true });
  const head = await commitAll(repo, 'dev-libs/libbar: treeclean');
  const trees = preparedTrees(path.join(dir, 'job'), { workdir: await addWorktree(repo, path.join(dir, 'merged'), head), basedir: await addWorktree(repo, path.join(dir, 'base'), base), basis: base, merged: head, gitDir: repo });
  const job = { id: 'job-1', pipeline: 'gentoo', repo: 'https://example.org/gentoo.git' } as JobDescriptor;
  const out = await gentooBeforeSteps(defaultConfig(), path.join(dir, 'state'))(job, trees);
  const details = out.details as Record<string, any>;
  t.deepEqual(details.scope.deleted, ['dev-libs/libbar']);
  // hello names the removed package; other names only libbar-compat, which stays.
  t.deepEqual(details.scope.targets, ['app-misc/hello']);
  t.true(details.scope.repoLevel);
  t.true(details.scope.reasons.some((r: { target: string; why: string }) => r.target === 'app-misc/hello' && r.why === 'names removed dev-libs/libbar'));
  const repoLevel = ['*/*', '-s', 'repo,cat'];
  t.deepEqual(out.scans, { merged: [['app-misc/hello'], repoLevel], base: [['app-misc/hello'], repoLevel] });
});

test('gentoo.escalateRepoLevel from the configuration turns a repository-level change into one scan of the whole tree', async (t) => {
  const { dir, gentoo, job, trees } = await overlay(t);
  const config = defaultConfig();
  config.pipelines.overlay = { ...config.pipelines.gentoo, masters: { gentoo: { path: gentoo } } };
  config.gentoo.escalateRepoLevel = true;
  const out = await gentooBeforeSteps(config, path.join(dir, 'state'))(job, trees);
  t.is((out.details as Record<string, any>).scope.mode, 'full');
  t.deepEqual(out.scans, { merged: [[]], base: [[]] });
});

test('a move line whose names PMS does not allow names nothing the base scan reaches: no path, no option', async (t) => {
  const { dir, gentoo, job, trees } = await overlay(t);
  // What the PR's own profiles/updates could say: the base tree's folder, seen from its own, and an option.
  fs.appendFileSync(path.join(trees.workdir, 'profiles/updates/1Q-2026'), 'move ../base app-misc/new\nmove -r./x app-misc/hello\n');
  const config = defaultConfig();
  config.pipelines.overlay = { ...config.pipelines.gentoo, masters: { gentoo: { path: gentoo } } };
  const out = await gentooBeforeSteps(config, path.join(dir, 'state'))(job, trees);
  t.deepEqual((out.details as Record<string, any>).moves, [{ from: 'app-misc/old', to: 'app-misc/new' }]);
  const repoLevel = ['*/*', '-s', 'repo,cat'];
  t.deepEqual(out.scans?.base, [['app-misc/hello', 'app-misc/old'], repoLevel]);
});

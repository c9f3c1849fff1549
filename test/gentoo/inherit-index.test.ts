// The inheritance index a worker keeps for its last regenerated base: the
// same scope as reading the whole tree, a PR's forged cache entries changing
// nothing, and every index that cannot answer falling back to the tree.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { defaultConfig } from '../../src/config/defaults.ts';
import { changedPaths, readInheritance, versionsTouched } from '../../src/gentoo/changed-paths.ts';
import { buildInheritIndex, formatInheritIndex, inheritanceFromIndex, parseInheritIndex, type InheritIndex } from '../../src/gentoo/inherit-index.ts';
import { inheritedEclasses } from '../../src/gentoo/inherit-lines.ts';
import { computeScope, type ChangedPath } from '../../src/gentoo/scope.ts';
import { diffRaw, parseRawDiffZ } from '../../src/git/diff.ts';
import { listTreeModes } from '../../src/git/ls-tree.ts';
import { git } from '../../src/git/runner.ts';
import type { JobDescriptor } from '../../src/protocol/job.ts';
import type { StepReport } from '../../src/protocol/result.ts';
import { gentooBeforeSteps } from '../../src/run/gentoo.ts';
import { inheritanceByIndex, inheritIndexOf, loadInheritIndex, refreshInheritIndex } from '../../src/run/inherit-index.ts';
import { preparedTrees } from '../helpers/trees.ts';
import { tempDir } from '../helpers/temp.ts';
import { addWorktree, commitAll } from './helpers.ts';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function write(root: string, files: Record<string, string | null>): void {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    if (text === null) {
      fs.rmSync(file, { recursive: true, force: true });
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

/** What `pmaint regen` writes, for ebuilds whose inherits are plain lines: `_eclasses_` transitive with each eclass's md5, and `_md5_`. */
function regen(tree: string): void {
  const eclass = (name: string) => fs.readFileSync(path.join(tree, 'eclass', `${name}.eclass`), 'utf8');
  for (const category of fs.readdirSync(tree).filter((name) => !name.startsWith('.') && !['eclass', 'metadata', 'profiles'].includes(name))) {
    for (const pkg of fs.readdirSync(path.join(tree, category))) {
      for (const file of fs.readdirSync(path.join(tree, category, pkg)).filter((name) => name.endsWith('.ebuild'))) {
        const text = fs.readFileSync(path.join(tree, category, pkg, file), 'utf8');
        const seen: string[] = [];
        const queue = inheritedEclasses(text);
        while (queue.length > 0) {
          const name = queue.shift()!;
          if (seen.includes(name)) continue;
          seen.push(name);
          queue.push(...inheritedEclasses(eclass(name)));
        }
        const stamps = seen.map((name) => `${name}\t${md5(eclass(name))}`).join('\t');
        write(tree, { [`metadata/md5-cache/${category}/${file.slice(0, -7)}`]: `EAPI=8\n_eclasses_=${stamps}\n_md5_=${md5(text)}\n` });
      }
    }
  }
}

const BASE = {
  'eclass/a.eclass': 'inherit b\n',
  'eclass/b.eclass': '# b\n',
  'eclass/c.eclass': '# c\n',
  'eclass/x.eclass': '# x\n',
  'profiles/categories': 'cat\nother\n',
  'cat/one/one-1.ebuild': 'EAPI=8\ninherit a\n',
  'cat/two/two-1.ebuild': 'EAPI=8\ninherit c\n',
  'cat/two/two-2.ebuild': 'EAPI=8\ninherit b\n',
  'cat/three/three-1.ebuild': 'EAPI=8\n',
  'cat/gone/gone-1.ebuild': 'EAPI=8\ninherit b\n',
  'other/four/four-1.ebuild': 'EAPI=8\ninherit x\n',
};

/**
 * A repository with BASE committed (its md5-cache ignored, as in ::gentoo's
 * git, or committed with `committedCache`), a regenerated copy of that commit
 * and the index kept from it.
 */
async function setup(t: Parameters<typeof tempDir>[0], options: { committedCache?: boolean } = {}) {
  const dir = tempDir(t);
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  await git(['init', '--quiet', '-b', 'master', repo]);
  write(repo, BASE);
  if (options.committedCache) regen(repo);
  else write(repo, { '.gitignore': '/metadata/md5-cache/\n' });
  const base = await commitAll(repo, 'base');
  const basedir = await addWorktree(repo, path.join(dir, 'base'), base);
  regen(basedir);
  const index = await buildInheritIndex({ tree: basedir, commit: base, files: await listTreeModes(repo, base), masters: [], masterPaths: [] });
  if (!index) throw new Error('no index');
  let trees = 0;
  /** Commits `files` on the repository's current head; the merged tree's copy with the base's regenerated cache seeded, as a job has it. */
  const change = async (files: Record<string, string | null>, message: string) => {
    write(repo, files);
    const head = await commitAll(repo, message);
    const workdir = await addWorktree(repo, path.join(dir, `tree-${++trees}`), head);
    if (!fs.existsSync(path.join(workdir, 'metadata', 'md5-cache'))) fs.cpSync(path.join(basedir, 'metadata', 'md5-cache'), path.join(workdir, 'metadata', 'md5-cache'), { recursive: true });
    return { head, workdir };
  };
  return { dir, repo, base, basedir, index, change };
}

const scopeOf = (changes: ChangedPath[], map: Map<string, string[]>) =>
  computeScope({ changes, eclassesByPackage: map, existingPackages: new Set(map.keys()), maxTargets: 1000 }).targets;

async function bothWays(repo: string, from: string, index: InheritIndex, head: string, workdir: string) {
  const changes = await changedPaths(repo, from, head);
  const tree = await readInheritance(workdir, versionsTouched(changes));
  const answer = await inheritanceFromIndex(workdir, index, await diffRaw(repo, index.commit, head), []);
  if (!('inheritance' in answer)) throw new Error(`the index did not answer: ${answer.fallback}`);
  return { changes, tree, indexed: answer.inheritance };
}

test('the index and a diff give the inheritance and the scope that reading the whole tree gives', async (t) => {
  const { repo, base, index, change } = await setup(t);
  const { head, workdir } = await change(
    {
      'eclass/b.eclass': '# b, changed\n',
      'cat/new/new-1.ebuild': 'EAPI=8\ninherit b\n',
      'cat/two/two-2.ebuild': 'EAPI=8\ninherit c\n',
      'cat/gone': null,
      'cat/one/one-2.ebuild': 'EAPI=8\ninherit x\n',
    },
    'the PR',
  );
  const { changes, tree, indexed } = await bothWays(repo, base, index, head, workdir);
  t.deepEqual(indexed.map, tree.map);
  t.deepEqual([...indexed.map.entries()], [
    ['cat/new', ['b']],
    ['cat/one', ['a', 'b', 'x']],
    ['cat/three', []],
    ['cat/two', ['c']],
    ['other/four', ['x']],
  ]);
  t.is(indexed.fromCache, tree.fromCache);
  t.deepEqual(indexed.fromLines, tree.fromLines);
  t.deepEqual(indexed.fromLines, ['cat/new-1', 'cat/one-2', 'cat/two-2']);
  t.deepEqual(scopeOf(changes, indexed.map), scopeOf(changes, tree.map));
  t.deepEqual(scopeOf(changes, indexed.map), ['cat/new', 'cat/one', 'cat/two']);
});

test('an index kept for an older base: the ebuilds changed since are read, an eclass changed since brings what it inherits now', async (t) => {
  const { repo, index, change } = await setup(t);
  // The base moves on: a now inherits x too, and two-1 changes; the index stays at the old base.
  const moved = await change({ 'eclass/a.eclass': 'inherit b x\n', 'cat/two/two-1.ebuild': 'EAPI=8\ninherit c x\n' }, 'base moves');
  const { head, workdir } = await change({ 'eclass/x.eclass': '# x, changed\n' }, 'the PR');
  const { changes, indexed } = await bothWays(repo, moved.head, index, head, workdir);
  t.deepEqual(indexed.map.get('cat/one'), ['a', 'b', 'x'], 'one inherits x through a since the base moved');
  t.deepEqual(indexed.map.get('cat/two'), ['b', 'c', 'x']);
  t.deepEqual(indexed.fromLines, ['cat/two-1']);
  t.deepEqual(scopeOf(changes, indexed.map), ['cat/one', 'cat/two', 'other/four']);
});

test('a PR that forges cache entries of a repository that commits its cache hides no inheritor, either way', async (t) => {
  const { repo, base, index, change } = await setup(t, { committedCache: true });
  const sneaky = 'EAPI=8\ninherit a\n';
  const { head, workdir } = await change(
    {
      'eclass/b.eclass': '# b, changed\n',
      // one-1 still inherits a (and so b): its entry now says it inherits nothing, with the right _md5_.
      'metadata/md5-cache/cat/one-1': `EAPI=8\n_md5_=${md5(BASE['cat/one/one-1.ebuild'])}\n`,
      // A new inheritor with a forged entry of its own.
      'cat/sneaky/sneaky-1.ebuild': sneaky,
      'metadata/md5-cache/cat/sneaky-1': `EAPI=8\n_md5_=${md5(sneaky)}\n`,
    },
    'the PR',
  );
  const { changes, tree, indexed } = await bothWays(repo, base, index, head, workdir);
  const expected = ['cat/gone', 'cat/one', 'cat/sneaky', 'cat/two'];
  t.deepEqual(scopeOf(changes, indexed.map), expected, 'from the index');
  t.deepEqual(scopeOf(changes, tree.map), expected, 'from the tree');
  t.deepEqual(tree.fromLines, ['cat/one-1', 'cat/sneaky-1'], 'the entries the PR touched are not used');
});

test('an index that cannot answer says why, and the tree is read instead', async (t) => {
  const { dir, repo, index, change } = await setup(t);
  const { head, workdir } = await change({ 'eclass/b.eclass': '# b, changed\n' }, 'the PR');
  const file = path.join(dir, 'state', 'inherit-index.json');
  const ask = (masters: Array<{ name: string; commit?: string }> = []) => inheritanceByIndex({ file, gitDir: repo, merged: head, workdir, masters });
  const fallback = async (masters?: Array<{ name: string; commit?: string }>) => {
    const answer = await ask(masters);
    return 'fallback' in answer ? answer.fallback : 'answered';
  };

  t.regex(await fallback(), /no index kept yet/);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const good = formatInheritIndex(index);
  fs.writeFileSync(file, good);
  const answer = await ask();
  t.true('inheritance' in answer && answer.commit === index.commit);

  fs.writeFileSync(file, good.slice(0, good.length - 10));
  t.regex(await fallback(), /corrupt: its checksum does not match/, 'a file cut short');
  fs.writeFileSync(file, good.replace('cat/one\ta b', 'cat/one\t'));
  t.regex(await fallback(), /corrupt: its checksum does not match/, 'an edited line');
  fs.writeFileSync(file, '{"format":"something else"}');
  t.regex(await fallback(), /corrupt: not refci-inherit-index\/1/);
  t.true('corrupt' in parseInheritIndex(`refci-inherit-index/1\n{"commit":"${index.commit}","masters":[],"md5":"${md5('x\n')}"}\nx\n`), 'a line without its fields');

  fs.writeFileSync(file, formatInheritIndex({ ...index, commit: 'f'.repeat(40) }));
  t.regex(await fallback(), /no diff from the index's commit f{40}/, 'a commit the repository lacks');
  fs.writeFileSync(file, good);
  t.regex(await fallback([{ name: 'gentoo', commit: 'e'.repeat(40) }]), /masters are not at the commits of the index/);
  t.regex(await fallback([{ name: 'gentoo' }]), /a master has no commit/);

  // A symlinked package folder the PR adds: git does not resolve it, the tree walk does.
  fs.symlinkSync('one', path.join(repo, 'cat', 'alias'));
  const linked = await change({}, 'a symlinked package');
  const byLink = await inheritanceByIndex({ file, gitDir: repo, merged: linked.head, workdir: linked.workdir, masters: [] });
  t.deepEqual(byLink, { fallback: 'cat/alias is a symlink or submodule' });
});

test('git diff --raw -z is parsed with both modes; a layout git cannot vouch for is no answer', async (t) => {
  const z = '0'.repeat(40);
  const f = 'f'.repeat(40);
  const out = [`:000000 100644 ${z} ${f} A`, 'cat/new/new-1.ebuild', `:100644 120000 ${f} ${f} T`, 'cat/pkg', `:100644 000000 ${f} ${z} D`, 'odd\nname', ''].join('\0');
  t.deepEqual(parseRawDiffZ(out), [
    { status: 'A', oldMode: '000000', newMode: '100644', path: 'cat/new/new-1.ebuild' },
    { status: 'T', oldMode: '100644', newMode: '120000', path: 'cat/pkg' },
    { status: 'D', oldMode: '100644', newMode: '000000', path: 'odd\nname' },
  ]);
  t.deepEqual(parseRawDiffZ(''), []);
  t.throws(() => parseRawDiffZ(`:100644 100644 ${f} ${f} U\0conflicted\0`), { message: /does not expect/ });
  t.throws(() => parseRawDiffZ(`:100644 100644 ${f} ${f} M\0`), { message: /does not expect/ });

  const index = { commit: f, masters: [], packages: new Map() };
  const answer = async (path: string, newMode = '100644') => {
    const got = await inheritanceFromIndex('/nonexistent', index, [{ status: 'A', oldMode: '000000', newMode, path }], []);
    return 'fallback' in got ? got.fallback : 'answered';
  };
  t.is(await answer('cat/pkg/pkg-1.ebuild/file'), 'cat/pkg/pkg-1.ebuild/file is inside a folder named like an ebuild');
  t.is(await answer('cat/pkg/pkg-1.ebuild', '120000'), 'cat/pkg/pkg-1.ebuild is a symlink or submodule');
  t.is(await answer('cat', '160000'), 'cat is a symlink or submodule');
  t.is(await answer('cat/\uFFFD/x.ebuild'), '"cat/\uFFFD/x.ebuild" is not UTF-8');
  t.is(await answer('cat/pkg/files/link', '120000'), 'answered', 'a symlink among a package\'s files changes no listing');
});

test('the kept index: built once, unchanged on the same base, updated from a diff to what a full build gives', async (t) => {
  const { dir, repo, base, basedir } = await setup(t);
  const file = path.join(dir, 'state', 'inherit-index.json');
  const refresh = (commit: string, tree: string) => refreshInheritIndex({ file, gitDir: repo, basedir: tree, commit, masters: [] });
  t.is(await refresh(base, basedir), 'built');
  t.is(await refresh(base, basedir), 'unchanged');

  write(repo, { 'eclass/a.eclass': 'inherit b x\n', 'cat/two/two-1.ebuild': 'EAPI=8\ninherit x\n', 'cat/gone': null, 'cat/five/five-1.ebuild': 'EAPI=8\ninherit c\n' });
  const next = await commitAll(repo, 'base moves');
  const nextdir = await addWorktree(repo, path.join(dir, 'next'), next);
  regen(nextdir);
  t.is(await refresh(next, nextdir), `updated from ${base}`);
  const updated = loadInheritIndex(file);
  const full = await buildInheritIndex({ tree: nextdir, commit: next, files: await listTreeModes(repo, next), masters: [], masterPaths: [] });
  if (!('index' in updated) || !full) return t.fail('no index');
  const sorted = (index: InheritIndex) => [...index.packages].sort(([a], [b]) => (a < b ? -1 : 1));
  t.deepEqual(sorted(updated.index), sorted(full));
  t.deepEqual(updated.index.packages.get('cat/one'), { union: 'a b x', versions: 'one-1=a,b,x' });

  // An entry that does not match its ebuild or an eclass is kept as unknown: that ebuild is read at scope time.
  write(nextdir, { 'metadata/md5-cache/cat/three-1': 'EAPI=8\n_md5_=0123\n' });
  const stale = await buildInheritIndex({ tree: nextdir, commit: next, files: await listTreeModes(repo, next), masters: [], masterPaths: [] });
  t.deepEqual(stale?.packages.get('cat/three'), { union: '', versions: 'three-1=!' });

  // A tree with a symlinked package folder keeps no index; the one kept stays as it was.
  fs.symlinkSync('one', path.join(repo, 'cat', 'alias'));
  const linked = await commitAll(repo, 'a symlinked package');
  const linkeddir = await addWorktree(repo, path.join(dir, 'linked'), linked);
  const before = fs.readFileSync(file, 'utf8');
  t.is(await refresh(linked, linkeddir), 'not kept: symlinks or submodules in the tree layout');
  t.is(fs.readFileSync(file, 'utf8'), before);
});

test('the gentoo pipeline: the first eclass change reads the tree and keeps the index, the next one reads the index, with the same scope', async (t) => {
  const { dir, repo, base, basedir, change } = await setup(t);
  const config = defaultConfig();
  const state = path.join(dir, 'state');
  const job = { id: 'job-1', pipeline: 'gentoo', repo: 'https://example.org/gentoo.git' } as JobDescriptor;
  const { head, workdir } = await change({ 'eclass/b.eclass': '# b, changed\n' }, 'the PR');
  const run = async (id: string) => {
    const trees = preparedTrees(path.join(dir, id), { workdir, basedir, basis: base, merged: head, gitDir: repo });
    return gentooBeforeSteps(config, state)(job, trees);
  };
  const first = await run('job-1');
  const details = first.details as Record<string, any>;
  t.is(details.inheritance.source, 'tree');
  t.regex(details.inheritance.why, /no index kept yet/);
  t.deepEqual(details.scope.targets, ['cat/gone', 'cat/one', 'cat/two']);
  await first.after!([{ name: 'regen', exitCode: 0 }, { name: 'regen-base', exitCode: 1 }] as StepReport[]);
  t.false(fs.existsSync(inheritIndexOf(state, job.repo)), 'nothing is kept from a base regen that failed');
  await first.after!([{ name: 'regen', exitCode: 0 }, { name: 'regen-base', exitCode: 0 }] as StepReport[]);
  t.true(fs.existsSync(inheritIndexOf(state, job.repo)));

  const second = (await run('job-2')).details as Record<string, any>;
  t.deepEqual(second.inheritance, { source: 'index', indexCommit: base, fromCache: 6, fromLines: 0, fromLinesFirst: [] });
  t.deepEqual(second.scope, details.scope);
});

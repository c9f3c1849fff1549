import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { RefciError } from '../../src/errors.ts';
import { changedPaths, listPackages, parseNameStatusZ, readCategories, readEclassMap, readInheritance, readInheritMap, readLayoutMasters } from '../../src/gentoo/changed-paths.ts';
import { createSampleEbuildRepo, type SampleRepo } from '../../src/demo/sample-repo.ts';
import { addWorktree, commitAll, standin } from './helpers.ts';
import { tempDir } from '../helpers/temp.ts';

test('parses name-status -z output, renames and copies included', (t) => {
  const out = ['M', 'app-misc/hello/Manifest', 'A', 'dir with space/new\nline', 'R087', 'a/old', 'b/new', 'C100', 'x/src', 'x/copy', 'T', 'link', 'D', 'gone', ''].join('\0');
  t.deepEqual(parseNameStatusZ(out), [
    { status: 'M', path: 'app-misc/hello/Manifest' },
    { status: 'A', path: 'dir with space/new\nline' },
    { status: 'R', path: 'b/new', oldPath: 'a/old' },
    { status: 'A', path: 'x/copy' },
    { status: 'T', path: 'link' },
    { status: 'D', path: 'gone' },
  ]);
  t.deepEqual(parseNameStatusZ(''), []);
  t.throws(() => parseNameStatusZ('U\0conflicted\0'), { instanceOf: RefciError, message: /status "U"/ });
  t.throws(() => parseNameStatusZ('R100\0only-old\0'), { instanceOf: RefciError });
});

let sample: SampleRepo;
let root: string;

test.before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-changed-'));
  sample = await createSampleEbuildRepo(path.join(root, 'gentoo'));
});

test.after.always(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const head = (name: string) => sample.heads.find((h) => h.name === name)!.sha;

test('the changes a head makes relative to where it forked', async (t) => {
  t.deepEqual(await changedPaths(sample.path, sample.base, head('pr/1')), [
    { status: 'M', path: 'app-misc/hello/Manifest' },
    { status: 'A', path: 'app-misc/hello/hello-1.1.ebuild' },
  ]);
  t.deepEqual(await changedPaths(sample.path, sample.base, head('pr/4')), [{ status: 'M', path: 'eclass/toolchain-funcs.eclass' }]);
  t.deepEqual(await changedPaths(sample.path, sample.base, head('pr/7')), [{ status: 'D', path: 'licenses/Artistic' }]);
  t.deepEqual(await changedPaths(sample.path, head('pr/1'), head('pr/1')), []);
});

test('a moved package comes back as removals and additions, never as a rename', async (t) => {
  const dir = await addWorktree(sample.path, path.join(root, 'rename'), sample.master);
  fs.renameSync(path.join(dir, 'dev-util', 'buildkit'), path.join(dir, 'dev-util', 'buildtool'));
  const moved = await commitAll(dir, 'dev-util/buildtool: rename from buildkit');
  const changes = await changedPaths(sample.path, sample.master, moved);
  t.true(changes.every((c) => c.status === 'A' || c.status === 'D'));
  t.true(changes.some((c) => c.status === 'D' && c.path === 'dev-util/buildkit/buildkit-3.1.ebuild'));
  t.true(changes.some((c) => c.status === 'A' && c.path === 'dev-util/buildtool/buildkit-3.1.ebuild'));
});

test('an unknown commit is a git error', async (t) => {
  const error = await t.throwsAsync(changedPaths(sample.path, sample.master, 'f'.repeat(40)), { instanceOf: RefciError });
  t.is(error?.code, 'git');
});

test('reads the eclass map, categories and packages of a regenerated worktree', async (t) => {
  const dir = await addWorktree(sample.path, path.join(root, 'map'), sample.master);
  t.deepEqual(await readEclassMap(dir), new Map(), 'no cache before regen');
  const fromInherits = await readInheritMap(dir);
  const regen = await standin('pmaint', ['regen', '--use-local-desc', '--pkg-desc-index', '-t', '2', dir], { cwd: dir });
  t.is(regen.exitCode, 0, regen.stderr);
  t.deepEqual(
    [...(await readEclassMap(dir)).entries()],
    [
      ['app-misc/hello', ['sample-build', 'toolchain-funcs']],
      ['app-misc/oldtool', []],
      ['dev-libs/libbar', ['sample-build', 'toolchain-funcs']],
      ['dev-libs/libfoo', ['toolchain-funcs']],
      ['dev-util/buildkit', []],
    ],
  );
  t.deepEqual(fromInherits, await readEclassMap(dir), 'inherit lines give the map the cache gives');
  const categories = await readCategories(dir);
  t.deepEqual(categories, new Set(['app-misc', 'dev-libs', 'dev-util']));
  t.deepEqual(await listPackages(dir, categories), new Set(['app-misc/hello', 'app-misc/oldtool', 'dev-libs/libbar', 'dev-libs/libfoo', 'dev-util/buildkit']));
  t.deepEqual(await listPackages(dir), await listPackages(dir, categories));
  t.is(await readCategories(path.join(root, 'nowhere')), undefined);
});

test('readInheritMap follows inherit lines through eclasses, ignoring comments and dynamic names', async (t) => {
  const dir = path.join(root, 'inherits');
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  write('eclass/a.eclass', 'inherit b # and nothing else\n');
  write('eclass/b.eclass', 'if [[ -z ${_B} ]]; then\ninherit c\nfi\n');
  write('eclass/c.eclass', '# leaf\n');
  write('cat/one/one-1.ebuild', 'EAPI=8\ninherit a \\\n\td\n');
  write('cat/one/one-2.ebuild', 'EAPI=8\ninherit e ${DYNAMIC}; echo f\n');
  write('cat/two/two-1.ebuild', 'EAPI=8\n# inherit commented\n');
  t.deepEqual(
    [...(await readInheritMap(dir)).entries()],
    [
      ['cat/one', ['a', 'b', 'c', 'd', 'e']],
      ['cat/two', []],
    ],
  );
});

test('readInheritance: a current md5-cache entry wins; a stale or missing one falls back to the inherit lines', async (t) => {
  const dir = path.join(root, 'inheritance');
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  write('eclass/git-r3.eclass', 'inherit git-base\n');
  write('eclass/git-base.eclass', '# leaf\n');
  // Current entry: its _eclasses_ (what bash sourced) is used, not the lines.
  const cached = 'EAPI=8\n[[ ${PV} == 9999 ]] && inherit git-r3\n';
  write('cat/cached/cached-1.ebuild', cached);
  write('metadata/md5-cache/cat/cached-1', `EAPI=8\n_eclasses_=xdg\t0123\txdg-utils\t4567\n_md5_=${md5(cached)}\n`);
  // Stale entry (the ebuild changed since the regen): the lines are read.
  write('cat/stale/stale-2.ebuild', 'EAPI=8\ncase ${PV} in\n\t2) inherit git-r3 ;;\nesac\n');
  write('metadata/md5-cache/cat/stale-2', `EAPI=8\n_eclasses_=old\t0123\n_md5_=${md5('older text')}\n`);
  // No entry at all: a new ebuild.
  write('cat/fresh/fresh-1.ebuild', 'EAPI=8\nif [[ ${PV} == 9999 ]]; then inherit git-r3; fi\n');
  const read = await readInheritance(dir);
  t.deepEqual(
    [...read.map.entries()],
    [
      ['cat/cached', ['xdg', 'xdg-utils']],
      ['cat/fresh', ['git-base', 'git-r3']],
      ['cat/stale', ['git-base', 'git-r3']],
    ],
  );
  t.is(read.fromCache, 1);
  t.deepEqual(read.fromLines, ['cat/fresh-1', 'cat/stale-2']);
});

test('readInheritance on the regenerated sample gives the map readEclassMap gives', async (t) => {
  const dir = await addWorktree(sample.path, path.join(root, 'inheritance-sample'), sample.master);
  const before = await readInheritance(dir);
  t.is(before.fromCache, 0);
  const regen = await standin('pmaint', ['regen', '--use-local-desc', '--pkg-desc-index', '-t', '2', dir], { cwd: dir });
  t.is(regen.exitCode, 0, regen.stderr);
  const after = await readInheritance(dir);
  t.deepEqual(after.fromLines, []);
  t.deepEqual(after.map, await readEclassMap(dir));
  t.deepEqual(before.map, after.map);
});

test('symlinks of a PR that lead out of the tree read as absent: no host file reaches the scope', async (t) => {
  const outside = tempDir(t);
  fs.writeFileSync(path.join(outside, 'layout.conf'), 'masters = host-secret\n');
  fs.writeFileSync(path.join(outside, 'categories'), 'host-category\n');
  fs.mkdirSync(path.join(outside, 'pkg'));
  fs.writeFileSync(path.join(outside, 'pkg', 'pkg-1.ebuild'), 'inherit host-eclass\n');
  const tree = tempDir(t);
  fs.mkdirSync(path.join(tree, 'metadata'));
  fs.mkdirSync(path.join(tree, 'profiles'));
  fs.mkdirSync(path.join(tree, 'app-misc', 'hello'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'app-misc', 'hello', 'hello-1.ebuild'), 'EAPI=8\n');
  fs.symlinkSync(path.join(outside, 'layout.conf'), path.join(tree, 'metadata', 'layout.conf'));
  fs.symlinkSync('../../' + path.relative('/', path.join(outside, 'categories')), path.join(tree, 'profiles', 'categories'));
  fs.symlinkSync(outside, path.join(tree, 'host-cat'));
  fs.symlinkSync(path.join(outside, 'pkg'), path.join(tree, 'app-misc', 'pkg'));
  // A symlink inside the tree is followed as usual.
  fs.symlinkSync('hello', path.join(tree, 'app-misc', 'alias'));
  t.deepEqual(await readLayoutMasters(tree), []);
  t.is(await readCategories(tree), undefined);
  t.deepEqual([...(await listPackages(tree))].sort(), ['app-misc/alias', 'app-misc/hello']);
  const inheritance = await readInheritance(tree);
  t.deepEqual([...inheritance.map.keys()].sort(), ['app-misc/alias', 'app-misc/hello']);
});

import test from 'ava';
import { RefciError } from '../../src/errors.ts';
import { addedVersions, computeScope, scanArgs, type ChangedPath, type ScopeInput } from '../../src/gentoo/scope.ts';

const ECLASSES = new Map<string, string[]>([
  ['app-misc/hello', ['sample-build', 'toolchain-funcs']],
  ['app-misc/oldtool', []],
  ['dev-libs/libbar', ['sample-build', 'toolchain-funcs']],
  ['dev-libs/libfoo', ['toolchain-funcs']],
  ['dev-util/buildkit', []],
]);

function scope(changes: ChangedPath[], extra: Partial<ScopeInput> = {}) {
  return computeScope({ changes, eclassesByPackage: ECLASSES, maxTargets: 10, ...extra });
}

test('changed files under cat/pkg make that package a target, once', (t) => {
  const s = scope([
    { status: 'A', path: 'app-misc/hello/hello-1.1.ebuild' },
    { status: 'M', path: 'app-misc/hello/Manifest' },
    { status: 'M', path: 'dev-libs/libfoo/files/libfoo-1.2-fix.patch' },
  ]);
  t.is(s.mode, 'targets');
  t.deepEqual(s.targets, ['app-misc/hello', 'dev-libs/libfoo']);
  t.false(s.repoLevel);
  t.deepEqual(s.deleted, []);
  t.deepEqual(s.reasons, [
    { target: 'app-misc/hello', why: 'changed: hello-1.1.ebuild (A), Manifest (M)' },
    { target: 'dev-libs/libfoo', why: 'changed: files/libfoo-1.2-fix.patch (M)' },
  ]);
});

test('targets are sorted and deduplicated', (t) => {
  const s = scope([
    { status: 'M', path: 'dev-util/buildkit/buildkit-3.1.ebuild' },
    { status: 'M', path: 'app-misc/oldtool/oldtool-0.9.ebuild' },
    { status: 'M', path: 'dev-util/buildkit/metadata.xml' },
  ]);
  t.deepEqual(s.targets, ['app-misc/oldtool', 'dev-util/buildkit']);
});

test('a removed package is noted, not scanned; removing one version keeps the package a target', (t) => {
  const existing = new Set(['app-misc/hello', 'dev-util/buildkit']);
  const s = scope(
    [
      { status: 'D', path: 'app-misc/gone/gone-1.ebuild' },
      { status: 'D', path: 'app-misc/gone/metadata.xml' },
      { status: 'D', path: 'dev-util/buildkit/buildkit-3.0.ebuild' },
    ],
    { existingPackages: existing },
  );
  t.deepEqual(s.targets, ['dev-util/buildkit']);
  t.deepEqual(s.deleted, ['app-misc/gone']);
  t.deepEqual(s.reasons[0], { target: 'app-misc/gone', why: 'package removed (gone-1.ebuild (D), metadata.xml (D)); nothing left to scan' });
});

test('without existingPackages the eclass map keys tell which packages exist', (t) => {
  const s = scope([
    { status: 'D', path: 'dev-util/buildkit/buildkit-3.0.ebuild' }, // in the map: still there
    { status: 'D', path: 'dev-util/oldthing/oldthing-1.ebuild' }, // not in the map, only removals: gone
    { status: 'A', path: 'dev-util/newthing/newthing-1.ebuild' }, // not in the map but added: there
  ]);
  t.deepEqual(s.targets, ['dev-util/buildkit', 'dev-util/newthing']);
  t.deepEqual(s.deleted, ['dev-util/oldthing']);
});

test('a rename is the old package removed and the new one added', (t) => {
  const s = scope([{ status: 'R', oldPath: 'dev-util/oldname/oldname-1.ebuild', path: 'dev-util/newname/newname-1.ebuild' }]);
  t.deepEqual(s.targets, ['dev-util/newname']);
  t.deepEqual(s.deleted, ['dev-util/oldname']);
});

test('an eclass change scans every package inheriting it, directly or not, and the eclass', (t) => {
  const s = scope([{ status: 'M', path: 'eclass/toolchain-funcs.eclass' }]);
  t.deepEqual(s.targets, ['app-misc/hello', 'dev-libs/libbar', 'dev-libs/libfoo']);
  t.deepEqual(s.eclasses, ['toolchain-funcs']);
  t.false(s.repoLevel);
  t.deepEqual(s.reasons[0], { target: 'eclass/toolchain-funcs.eclass', why: 'eclass changed; 3 inheriting packages scanned' });
  t.deepEqual(
    s.reasons.slice(1).map((r) => r.target),
    ['app-misc/hello', 'dev-libs/libbar', 'dev-libs/libfoo'],
  );
  t.true(s.reasons.slice(1).every((r) => r.why === 'inherits toolchain-funcs.eclass (changed)'));
});

test('a package changed directly and through an eclass is one target with both reasons', (t) => {
  const s = scope([
    { status: 'M', path: 'eclass/sample-build.eclass' },
    { status: 'M', path: 'app-misc/hello/hello-1.0.ebuild' },
  ]);
  t.deepEqual(s.targets, ['app-misc/hello', 'dev-libs/libbar']);
  t.deepEqual(
    s.reasons.filter((r) => r.target === 'app-misc/hello').map((r) => r.why),
    ['changed: hello-1.0.ebuild (M)', 'inherits sample-build.eclass (changed)'],
  );
});

test('a removed eclass is no eclass target; a new unused one scans nothing else', (t) => {
  const s = scope([
    { status: 'D', path: 'eclass/sample-build.eclass' },
    { status: 'A', path: 'eclass/brand-new.eclass' },
  ]);
  t.deepEqual(s.eclasses, ['brand-new']);
  t.deepEqual(s.targets, ['app-misc/hello', 'dev-libs/libbar']);
  t.deepEqual(s.reasons.find((r) => r.target === 'eclass/brand-new.eclass'), { target: 'eclass/brand-new.eclass', why: 'eclass added; 0 inheriting packages scanned' });
  t.deepEqual(s.reasons.find((r) => r.target === 'eclass/sample-build.eclass')?.why, 'eclass removed; 2 inheriting packages scanned');
});

test('profiles/, licenses/, metadata/ and category metadata.xml are repository-level', (t) => {
  for (const path of ['profiles/package.mask', 'profiles/default/linux/amd64/make.defaults', 'licenses/MIT', 'metadata/layout.conf', 'dev-libs/metadata.xml']) {
    const s = scope([{ status: 'M', path }]);
    t.true(s.repoLevel, path);
    t.deepEqual(s.targets, [], path);
    t.is(s.reasons.length, 1, path);
    t.is(s.reasons[0].target, 'repo', path);
    t.true(s.reasons[0].why.startsWith(`repository-level checks: ${path} (M)`), path);
  }
});

test('generated metadata and files outside the tree are not scanned, only noted', (t) => {
  const s = scope([
    { status: 'M', path: 'metadata/md5-cache/app-misc/hello-1.0' },
    { status: 'M', path: 'metadata/pkg_desc_index' },
    { status: 'M', path: 'header.txt' },
    { status: 'A', path: '.github/workflows/ci.yml' },
    { status: 'M', path: 'eclass/tests/toolchain-funcs.sh' },
    { status: 'M', path: 'scripts/bump.sh' },
    { status: 'A', path: 'dev-libs/README' },
  ]);
  t.false(s.repoLevel);
  t.deepEqual(s.targets, []);
  t.deepEqual(s.eclasses, []);
  t.deepEqual(
    s.reasons.map((r) => r.target),
    ['metadata/md5-cache/app-misc/hello-1.0', 'metadata/pkg_desc_index', 'header.txt', '.github/workflows/ci.yml', 'eclass/tests/toolchain-funcs.sh', 'scripts/bump.sh', 'dev-libs/README'],
  );
  t.true(s.reasons.every((r) => r.why.endsWith('; not scanned')));
  t.deepEqual(scanArgs(s), []);
});

test('with a category list, folders that are not categories hold no packages', (t) => {
  const s = scope([{ status: 'M', path: 'tools/helper/run.sh' }, { status: 'M', path: 'dev-libs/libfoo/libfoo-1.2.ebuild' }], {
    categories: new Set(['app-misc', 'dev-libs', 'dev-util']),
  });
  t.deepEqual(s.targets, ['dev-libs/libfoo']);
  t.is(s.reasons[1].target, 'tools/helper/run.sh');
});

test('above maxTargets the scan covers the whole tree; at the threshold it does not', (t) => {
  const changes: ChangedPath[] = ['a', 'b', 'c'].map((p) => ({ status: 'M', path: `dev-libs/${p}/${p}-1.ebuild` }));
  const at = scope(changes, { maxTargets: 3 });
  t.is(at.mode, 'targets');
  const above = scope(changes, { maxTargets: 2 });
  t.is(above.mode, 'full');
  t.deepEqual(above.targets, ['dev-libs/a', 'dev-libs/b', 'dev-libs/c']);
  t.deepEqual(above.reasons.at(-1), { target: '*', why: '3 package targets exceed maxTargets 2; scanning the whole tree' });
  t.deepEqual(scanArgs(above), [{ label: 'full', args: [] }]);
});

test('an invalid maxTargets is a configuration error', (t) => {
  for (const maxTargets of [-1, 1.5, Number.NaN]) {
    const error = t.throws(() => scope([], { maxTargets }), { instanceOf: RefciError });
    t.is(error?.code, 'invalid-config');
  }
});

test('escalateRepoLevel turns a repository-level change into a full scan', (t) => {
  const s = scope([{ status: 'M', path: 'profiles/package.mask' }], { escalateRepoLevel: true });
  t.is(s.mode, 'full');
  t.true(s.repoLevel);
  t.is(scope([{ status: 'M', path: 'app-misc/hello/hello-1.0.ebuild' }], { escalateRepoLevel: true }).mode, 'targets');
});

test('scanArgs: package atoms and eclass paths in one run, repo-level checks in another', (t) => {
  const s = scope([
    { status: 'M', path: 'eclass/toolchain-funcs.eclass' },
    { status: 'M', path: 'dev-util/buildkit/buildkit-3.1.ebuild' },
    { status: 'M', path: 'licenses/MIT' },
  ]);
  t.deepEqual(scanArgs(s), [
    { label: 'targets', args: ['app-misc/hello', 'dev-libs/libbar', 'dev-libs/libfoo', 'dev-util/buildkit', 'eclass/toolchain-funcs.eclass'] },
    { label: 'repo-level', args: ['*/*', '-s', 'repo,cat'] },
  ]);
  // The base tree of a baseline scan may lack an eclass the PR adds.
  t.deepEqual(scanArgs(s, { pathExists: () => false })[0].args, ['app-misc/hello', 'dev-libs/libbar', 'dev-libs/libfoo', 'dev-util/buildkit']);
});

test('scanArgs: a repository-level change alone is one repo-level run', (t) => {
  t.deepEqual(scanArgs(scope([{ status: 'D', path: 'licenses/Artistic' }])), [{ label: 'repo-level', args: ['*/*', '-s', 'repo,cat'] }]);
});

test('an overlay package in a category only its master lists is a target when the categories include the master\'s', (t) => {
  const change: ChangedPath[] = [{ status: 'A', path: 'app-misc/hello/hello-1.1.ebuild' }];
  const own = new Set(['dev-overlay']);
  const withMaster = new Set(['dev-overlay', 'app-misc', 'dev-libs']);
  const s = scope(change, { categories: withMaster });
  t.deepEqual(s.targets, ['app-misc/hello']);
  t.deepEqual(s.unknownCategories, []);
  t.deepEqual(s.reasons, [{ target: 'app-misc/hello', why: 'changed: hello-1.1.ebuild (A)' }]);
  t.deepEqual(scanArgs(s), [{ label: 'targets', args: ['app-misc/hello'] }]);
  // Only the overlay's own list: still scanned, and flagged.
  const flagged = scope(change, { categories: own });
  t.deepEqual(flagged.targets, ['app-misc/hello']);
  t.deepEqual(flagged.unknownCategories, ['app-misc']);
  t.deepEqual(flagged.reasons, [
    { target: 'app-misc/hello', why: 'changed: hello-1.1.ebuild (A); category app-misc is in no profiles/categories of the repository or its masters, scanned anyway' },
  ]);
});

test('a package folder with ebuilds in an unlisted category is scanned when any of its files changes; other files there are not', (t) => {
  const s = scope(
    [
      { status: 'M', path: 'sci-misc/tool/metadata.xml' },
      { status: 'M', path: 'tools/helper/run.sh' },
    ],
    { categories: new Set(['app-misc']), existingPackages: new Set(['sci-misc/tool']) },
  );
  t.deepEqual(s.targets, ['sci-misc/tool']);
  t.deepEqual(s.unknownCategories, ['sci-misc']);
  t.is(s.reasons[1].target, 'tools/helper/run.sh');
});

test('addedVersions: the ebuilds a change adds, renames included, other files and removals not', (t) => {
  t.deepEqual(
    addedVersions([
      { status: 'A', path: 'app-misc/hello/hello-1.1-r1.ebuild' },
      { status: 'R', path: 'app-misc/hello/hello-2.ebuild', oldPath: 'app-misc/hello/hello-1.ebuild' },
      { status: 'M', path: 'app-misc/hello/hello-1.0.ebuild' },
      { status: 'D', path: 'app-misc/hello/hello-0.9.ebuild' },
      { status: 'A', path: 'app-misc/hello/files/hello-3.ebuild' },
      { status: 'A', path: 'app-misc/hello/other-3.ebuild' },
    ]),
    ['app-misc/hello/1.1-r1', 'app-misc/hello/2'],
  );
});

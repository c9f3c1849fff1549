import test from 'ava';
import { dependentsOf, namedAtomPattern, withRemovedDependents } from '../../src/gentoo/removed-dependents.ts';
import { computeScope } from '../../src/gentoo/scope.ts';

test('the pattern finds a removed package named as a dependency, never a longer name or another category', (t) => {
  const re = new RegExp(namedAtomPattern('dev-libs/libbar'));
  for (const text of ['RDEPEND="dev-libs/libbar"', '>=dev-libs/libbar-1.2:=', 'dev-libs/libbar:0/1', 'dev-libs/libbar[foo]', '!!dev-libs/libbar', 'dev-libs/libbar']) t.true(re.test(text), text);
  for (const text of ['dev-libs/libbar-compat', 'x-dev-libs/libbar', 'sys-dev-libs/libbar', 'dev-libs/libbarx', 'dev-libs/libbar_x']) t.false(re.test(text), text);
  // A name's + and . are literal.
  const plus = new RegExp(namedAtomPattern('dev-cpp/gtk+'));
  t.true(plus.test('>=dev-cpp/gtk+-3'));
  t.false(plus.test('dev-cpp/gtkk-3'));
});

test('dependents come from cat/pkg/*.ebuild files with names PMS allows, each with the removed packages it names, never a removed one', (t) => {
  const matches = [
    { path: 'app-misc/hello/hello-1.ebuild', text: '=dev-libs/libbar-1' },
    { path: 'app-misc/hello/hello-2.ebuild', text: ' dev-libs/libfoo[' },
    { path: 'app-misc/hello/files/x.ebuild', text: ' dev-libs/libbar ' },
    { path: 'dev-libs/libfoo/libfoo-1.ebuild', text: ' dev-libs/libbar ' },
    { path: 'eclass/x.eclass', text: ' dev-libs/libbar ' },
    // A folder named like an option would reach pkgcheck's command line as one (-r: another repository).
    { path: '-r./foo/x.ebuild', text: 'RDEPEND="dev-libs/libbar"' },
    { path: 'app-misc/-x/x-1.ebuild', text: 'RDEPEND="dev-libs/libbar"' },
    // The name on a line of its own, in a file of many lines.
    { path: 'app-misc/multi/multi-1.ebuild', text: 'EAPI=8\nRDEPEND="\ndev-libs/libbar\n"\n' },
  ];
  t.deepEqual(
    dependentsOf(['dev-libs/libbar', 'dev-libs/libfoo'], matches),
    new Map([
      ['app-misc/hello', ['dev-libs/libbar', 'dev-libs/libfoo']],
      ['app-misc/multi', ['dev-libs/libbar']],
    ]),
  );
});

test('a removal adds its dependents and the repository-level checks; past maxTargets the whole tree; no removal, no change', (t) => {
  const scope = computeScope({ changes: [{ status: 'D', path: 'dev-libs/libbar/libbar-1.ebuild' }], eclassesByPackage: new Map(), existingPackages: new Set(), maxTargets: 2 });
  t.deepEqual(scope.targets, []);
  const one = withRemovedDependents(scope, new Map([['app-misc/hello', ['dev-libs/libbar']]]), 2);
  t.like(one, { mode: 'targets', targets: ['app-misc/hello'], repoLevel: true, deleted: ['dev-libs/libbar'] });
  t.deepEqual(one.reasons.slice(-2), [
    { target: 'app-misc/hello', why: 'names removed dev-libs/libbar' },
    { target: 'repo', why: 'repository-level checks: packages removed (dev-libs/libbar); profiles may still name them' },
  ]);
  const many = withRemovedDependents(scope, new Map(['a/1', 'a/2', 'a/3'].map((atom) => [atom, ['dev-libs/libbar']])), 2);
  t.is(many.mode, 'full');
  t.is(withRemovedDependents(scope, new Map(), 2, true).mode, 'full');
  const bump = computeScope({ changes: [{ status: 'A', path: 'app-misc/hello/hello-2.ebuild' }], eclassesByPackage: new Map(), existingPackages: new Set(['app-misc/hello']), maxTargets: 2 });
  t.is(withRemovedDependents(bump, new Map([['x/y', ['z/w']]]), 2), bump);
});

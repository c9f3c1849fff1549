import test from 'ava';
import { qaDecider } from '../../src/collect/deciders.ts';
import { unseenPackagesReason } from '../../src/collect/unseen-packages.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { computeScope } from '../../src/gentoo/scope.ts';

/** A successful gentoo result for these added ebuilds, its scope as the worker records it, and empty scans. */
function resultFor(paths: string[]) {
  const scope = computeScope({
    changes: paths.map((path) => ({ status: 'A' as const, path })),
    eclassesByPackage: new Map(),
    existingPackages: new Set(paths.map((path) => path.split('/').slice(0, 2).join('/'))),
    maxTargets: 200,
    categories: new Set(['app-misc']),
  });
  const details = { scope: { mode: scope.mode, targets: scope.targets, eclasses: scope.eclasses, repoLevel: scope.repoLevel, deleted: scope.deleted, unknownCategories: scope.unknownCategories, reasons: scope.reasons } };
  return { ...closingResult('j1', 'success', 'all 6 steps passed', 'w1', 1, 0), details };
}

// pkgcore does not see a package outside the listed categories: both scans come back empty.
const emptyScans = async (file: string) => (file.endsWith('.jsonl') ? Buffer.alloc(0) : undefined);

test('a package in a category no profiles/categories lists is "not checked", an error, never "no new errors"', async (t) => {
  const decision = await qaDecider(defaultConfig())({ job: undefined, result: resultFor(['sci-bogus/evil/evil-0.9.ebuild']), readArtifact: emptyScans });
  t.is(decision.status, 'error');
  t.is(decision.reason, 'sci-bogus/evil not checked: category sci-bogus is in no profiles/categories of the repository or its masters, so pkgcheck does not see it; list the category in profiles/categories');
  t.regex(decision.reports['report.md']!, /sci-bogus\/evil not checked/);
});

test('with every category listed, the same empty scans are judged: no new errors', async (t) => {
  const decision = await qaDecider(defaultConfig())({ job: undefined, result: resultFor(['app-misc/evil/evil-0.9.ebuild']), readArtifact: emptyScans });
  t.is(decision.status, 'success');
  t.is(unseenPackagesReason(resultFor(['app-misc/evil/evil-0.9.ebuild'])), undefined);
});

test('several unseen packages and categories are counted; a result without a scope is left to the scans', (t) => {
  const many = resultFor(['sci-a/p1/p1-1.ebuild', 'sci-b/p2/p2-1.ebuild', 'app-misc/seen/seen-1.ebuild']);
  t.is(unseenPackagesReason(many), 'sci-a/p1, sci-b/p2 not checked: categories sci-a, sci-b are in no profiles/categories of the repository or its masters, so pkgcheck does not see them; list the categories in profiles/categories');
  t.is(unseenPackagesReason({ details: {} }), undefined);
  // A category retired with its last package: it is named, but no target is in it.
  t.is(unseenPackagesReason({ details: { scope: { targets: ['app-misc/hello'], unknownCategories: ['x-old'] } } }), undefined);
  t.is(unseenPackagesReason({ details: { scope: { unknownCategories: 'sci-a' } } }), undefined);
});

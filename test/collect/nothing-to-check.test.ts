import test from 'ava';
import { qaDecider } from '../../src/collect/deciders.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { computeScope } from '../../src/gentoo/scope.ts';

/** A successful gentoo result whose scope is what computeScope says of these changed paths. */
function resultFor(paths: string[]) {
  const scope = computeScope({
    changes: paths.map((path) => ({ status: 'M' as const, path })),
    eclassesByPackage: new Map([['app-misc/hello', []]]),
    maxTargets: 200,
    categories: new Set(['app-misc']),
  });
  const details = { scope: { mode: scope.mode, targets: scope.targets, eclasses: scope.eclasses, repoLevel: scope.repoLevel, deleted: scope.deleted, reasons: scope.reasons } };
  return { ...closingResult('j1', 'success', '6 of 6 steps passed', 'w1', 1, 0), details };
}

const noArtifacts = async () => undefined;

test('a PR whose changes map to nothing pkgcheck scans gets a neutral "nothing to check" with the files, never "no new errors"', async (t) => {
  const decision = await qaDecider(defaultConfig())({ job: undefined, result: resultFor(['.github/workflows/ci.yml', 'README.md']), readArtifact: noArtifacts });
  t.is(decision.status, 'success');
  t.regex(decision.reason, /^nothing to check: no change maps to a package, an eclass or a repository-level check \(.*\.github\/workflows\/ci\.yml.*README\.md/);
  t.regex(decision.reports['report.md']!, /^## ✅ Nothing to check\n/);
  t.regex(decision.reports['report.md']!, /Files not scanned:\n\n- \.github\/workflows\/ci\.yml: /);
});

test('a PR that touches a package is judged by its scans as before', async (t) => {
  const decision = await qaDecider(defaultConfig())({ job: undefined, result: resultFor(['app-misc/hello/hello-1.0.ebuild']), readArtifact: noArtifacts });
  // Without scan outputs the verdict is an error: the package was meant to be scanned.
  t.is(decision.status, 'error');
  t.regex(decision.reason, /no pkgcheck output/);
});

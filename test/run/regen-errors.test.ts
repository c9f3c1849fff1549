import test from 'ava';
import { describeRegenFailures, parseRegenFailures } from '../../src/run/regen-errors.ts';

/** What the pmaint stand-in (src/demo/bin/pmaint) prints on stderr for pr/6 of the sample repository: pkgcore's shapes. */
const STANDIN = [
  ' * ERROR: dev-util/buildkit-3.2::sample failed (depend phase):',
  ' *   regen-failure',
  ' *',
  'pmaint regen: error: failed sourcing ebuild: dev-util/buildkit-3.2: regen-failure',
  'pmaint regen: error: metadata regeneration failed for 1 package',
  '',
].join('\n');

test('the failing ebuild and its die message, found once in both shapes pkgcore prints', (t) => {
  t.deepEqual(parseRegenFailures(STANDIN), [{ ebuild: 'dev-util/buildkit-3.2', message: 'regen-failure' }]);
  t.is(describeRegenFailures(parseRegenFailures(STANDIN)), 'metadata regeneration failed for 1 ebuild: dev-util/buildkit-3.2: regen-failure');
});

test('several ebuilds, either shape alone, revisions and long messages', (t) => {
  const log = [
    '>>> regenerating metadata, 4 threads',
    ' * ERROR: app-misc/foo-1.0-r2::gentoo failed (depend phase):',
    ' *   foo.eclass: EAPI 5 not supported',
    ' * ',
    ' * Call stack:',
    'pmaint regen: error: failed sourcing ebuild: dev-libs/bar-2_rc1: inherit: eclass missing-eclass not found',
    `pmaint regen: error: failed sourcing ebuild: x11-libs/baz-3: ${'x'.repeat(300)}`,
    ' * ERROR: sys-apps/qux-9999::gentoo failed (depend phase):',
    ' *   no tarball',
    'pmaint regen: error: metadata regeneration failed for 4 packages',
  ].join('\n');
  const failures = parseRegenFailures(log);
  t.deepEqual(
    failures.map((f) => f.ebuild),
    ['app-misc/foo-1.0-r2', 'dev-libs/bar-2_rc1', 'x11-libs/baz-3', 'sys-apps/qux-9999'],
  );
  t.is(failures[0].message, 'foo.eclass: EAPI 5 not supported');
  t.is(failures[1].message, 'inherit: eclass missing-eclass not found');
  t.is(failures[2].message.length, 200);
  t.is(
    describeRegenFailures(failures),
    `metadata regeneration failed for 4 ebuilds: app-misc/foo-1.0-r2: foo.eclass: EAPI 5 not supported; dev-libs/bar-2_rc1: inherit: eclass missing-eclass not found; x11-libs/baz-3: ${failures[2].message}; and 1 more`,
  );
});

test('a log without a failing ebuild gives nothing, so the reason falls back to the last line', (t) => {
  t.deepEqual(parseRegenFailures('pmaint regen: error: argument repo: couldn\'t find repo \'gentoo\'\n'), []);
  t.is(describeRegenFailures([]), undefined);
});

import test from 'ava';
import { addedMoves, parseUpdateMoves } from '../../src/gentoo/package-moves.ts';
import { applyMoves, movedName, movesFromDetails } from '../../src/qa/moves.ts';
import { parsePkgcheckOutput } from '../../src/qa/parse.ts';
import { runQaDiff } from '../../src/qa/run.ts';

const stream = (category: string, pkg: string, version: string, cls: string, extra: Record<string, unknown>): string =>
  JSON.stringify({ __class__: cls, category, package: pkg, version, ...extra });

test('profiles/updates: move lines are read, other commands skipped; only the moves the head adds count', (t) => {
  const text = 'move app-misc/old app-misc/new\nslotmove dev-libs/x 0 1\n\nmove  dev-util/a   sys-devel/a\nmove broken\n';
  const moves = parseUpdateMoves(text);
  t.deepEqual(moves, [
    { from: 'app-misc/old', to: 'app-misc/new' },
    { from: 'dev-util/a', to: 'sys-devel/a' },
  ]);
  t.deepEqual(addedMoves([moves[1]], moves), [{ from: 'app-misc/old', to: 'app-misc/new' }]);
});

test('moves follow chains, stop on cycles, and are checked when read from result details', (t) => {
  const moves = [
    { from: 'a/x', to: 'b/x' },
    { from: 'b/x', to: 'c/y' },
    { from: 'c/y', to: 'a/x' },
  ];
  t.is(movedName('a/x', moves.slice(0, 2)), 'c/y');
  t.is(movedName('a/x', moves), 'c/y');
  t.is(movedName('d/z', moves), 'd/z');
  t.deepEqual(movesFromDetails([{ from: 'a/x', to: 'b/x' }, { from: 'bad', to: 'b/x' }, { from: 'a/x', to: 'a/x' }, 'junk']), [{ from: 'a/x', to: 'b/x' }]);
  t.deepEqual(movesFromDetails(undefined), []);
});

test('applyMoves renames category and package of base findings, leaving version and everything else', (t) => {
  const base = parsePkgcheckOutput(
    [stream('app-misc', 'old', '1', 'BadDescription', { msg: 'short' }), JSON.stringify({ __class__: 'UnusedLicenses', licenses: ['X'] })].join('\n'),
  ).findings;
  const moved = applyMoves(base, [{ from: 'app-misc/old', to: 'app-misc/new' }]);
  t.deepEqual(moved[0].location, { category: 'app-misc', package: 'new', version: '1' });
  t.is(moved[1], base[1]);
  t.deepEqual(base[0].location, { category: 'app-misc', package: 'old', version: '1' }, 'the input is not changed');
});

test('a moved package\'s unchanged findings are pre-existing, its new ones new', (t) => {
  const baseText = `${stream('app-misc', 'old', '1', 'BadDescription', { msg: 'short' })}\n`;
  const headText = [stream('app-misc', 'new', '1', 'BadDescription', { msg: 'short' }), stream('app-misc', 'new', '1', 'UnknownLicense', { licenses: ['Nope'] })].join('\n');
  const without = runQaDiff({ baseText, headText }).report.diff;
  t.deepEqual([without.new.length, without.fixed.length, without.preExisting.length], [2, 1, 0]);
  const { report } = runQaDiff({ baseText, headText, moves: [{ from: 'app-misc/old', to: 'app-misc/new' }] });
  t.deepEqual(report.diff.preExisting.map((e) => e.key), ['BadDescription version:app-misc/new/1 attrs:{"msg":"short"}']);
  t.deepEqual(report.diff.new.map((e) => e.keyword), ['UnknownLicense']);
  t.deepEqual(report.diff.fixed, []);
  t.deepEqual(report.verdict, { status: 'failure', reason: '1 new error: UnknownLicense (app-misc/new-1)' });
  t.true(report.diff.warnings.includes('base findings renamed by the package moves this PR adds: app-misc/old -> app-misc/new'));
});

import test from 'ava';
import { diffFindings, type DiffEntry } from '../../src/qa/diff.ts';
import { parsePkgcheckOutput } from '../../src/qa/parse.ts';
import { verdictOf } from '../../src/qa/verdict.ts';
import { fixture } from './fixtures.ts';

const jr = (...lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n');
const ver = (cat: string, pkg: string, v: string, level: string, kw: string, msg: string): unknown => ({ [cat]: { [pkg]: { [v]: { [`_${level}`]: { [kw]: msg } } } } });
const parse = (text: string) => parsePkgcheckOutput(text).findings;
const names = (l: DiffEntry[]): string[] => l.map((e) => `${e.keyword}@${e.location.category}/${e.location.package}-${e.location.version}`);

test('a new error in an already broken package is new (unlike Gentoo CI per-package judgement)', (t) => {
  const broken = ver('dev-libs', 'foo', '0', 'error', 'InvalidPN', 'invalid package names: [ bar ]');
  const base = parse(jr(broken));
  const head = parse(jr(broken, ver('dev-libs', 'foo', '0', 'error', 'UnknownLicense', 'unknown license: BAD')));
  const d = diffFindings(base, head);
  t.deepEqual(names(d.new), ['UnknownLicense@dev-libs/foo-0']);
  t.deepEqual(names(d.preExisting), ['InvalidPN@dev-libs/foo-0']);
  t.deepEqual(d.fixed, []);
  t.true(d.new[0]!.counts);
  t.is(d.new[0]!.class, 'err');
  t.is(verdictOf(d).status, 'failure');
});

test('fixed, new and pre-existing; the same scan diffed with itself has nothing new', (t) => {
  const base = parse(fixture('reporter-formats', 'XmlReporter.xml'));
  const head = base.filter((f) => f.keyword !== 'InvalidPN');
  const d = diffFindings(base, head);
  t.deepEqual(d.fixed.map((e) => e.keyword), ['InvalidPN']);
  t.is(d.new.length, 0);
  t.is(d.preExisting.length, 7);
  t.deepEqual(verdictOf(d), { status: 'success', reason: 'no new errors; 1 fixed' });
  const same = diffFindings(base, base);
  t.is(same.new.length + same.fixed.length, 0);
});

test('JsonStream vs JsonStream: changed num_profiles, list order and line numbers are pre-existing', (t) => {
  const base = fixture('expected-jsonstream', 'visibility_VisibilityCheck_NonsolvableDepsInStable.jsonl');
  const head = base
    .trim()
    .split('\n')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify({ ...r, num_profiles: 7, deps: [...(r.deps as string[])].reverse() });
    })
    .join('\n');
  const d = diffFindings(parse(base), parse(head));
  t.is(d.preExisting.length, 2);
  t.is(d.new.length + d.fixed.length, 0);
});

test('JsonReporter vs JsonReporter: "(N total)" and shifted lines are pre-existing', (t) => {
  const base = jr(
    ver('a', 'b', '1', 'error', 'NonsolvableDepsInStable', 'nonsolvable depset(rdepend) keyword(amd64) stable profile (p/amd64) (2 total): solutions: [ x/y ]'),
    ver('a', 'b', '1', 'warning', 'UnquotedVariable', 'unquoted variable D on lines: 5, 7'),
  );
  const head = jr(
    ver('a', 'b', '1', 'error', 'NonsolvableDepsInStable', 'nonsolvable depset(rdepend) keyword(amd64) stable profile (p/amd64) (5 total): solutions: [ x/y ]'),
    ver('a', 'b', '1', 'warning', 'UnquotedVariable', 'unquoted variable D on lines: 8, 10'),
  );
  const d = diffFindings(parse(base), parse(head));
  t.is(d.new.length + d.fixed.length, 0);
  t.is(d.preExisting.length, 2);
});

test('multiset: a key twice in head and once in base is one new, one pre-existing', (t) => {
  const one = ver('a', 'b', '1', 'error', 'BadDependency', 'depend: x');
  const d = diffFindings(parse(jr(one)), parse(jr(one, one)));
  t.is(d.new.length, 1);
  t.is(d.preExisting.length, 1);
  const back = diffFindings(parse(jr(one, one, one)), parse(jr(one)));
  t.is(back.fixed.length, 2);
  t.is(back.preExisting.length, 1);
  t.is(verdictOf(back).reason, 'no new errors; 2 fixed');
});

test('countWarnings, staging and excludes decide what counts', (t) => {
  const head = parse(
    jr(
      ver('a', 'b', '1', 'warning', 'BadFilename', 'bad filenames: [ x ]'),
      ver('a', 'b', '1', 'warning', 'UnquotedVariable', 'unquoted variable D on line: 3'),
      ver('a', 'b', '1', 'error', 'InvalidPN', 'invalid package names: [ q ]'),
    ),
  );
  const plain = diffFindings([], head);
  t.deepEqual(plain.new.filter((e) => e.counts).map((e) => e.keyword), ['InvalidPN']);
  const warn = diffFindings([], head, { countWarnings: true });
  t.deepEqual(warn.new.filter((e) => e.counts).map((e) => e.keyword).sort(), ['BadFilename', 'InvalidPN']);
  t.is(verdictOf(warn).reason, '1 new error and 1 new warning: BadFilename (a/b-1), InvalidPN (a/b-1); 1 new finding that does not count');
  const excluded = diffFindings([], head, { excludes: { a: { b: { '1': ['InvalidPN'] } } } });
  const pn = excluded.new.find((e) => e.keyword === 'InvalidPN')!;
  t.true(pn.excluded);
  t.false(pn.counts);
  t.is(pn.class, 'err');
  t.is(verdictOf(excluded).status, 'success');
});

test('entries carry keyword, class, location, message, key and counts; sorted by location', (t) => {
  const d = diffFindings([], parse(fixture('reporter-formats', 'JsonReporter.jsonl')));
  t.deepEqual(
    d.new.map((e) => e.keyword),
    ['CatMissingMetadataXml', 'InvalidPN', 'BadFilename', 'ReadonlyVariable', 'UnquotedVariable', 'InvalidCommitMessage', 'ProfileError', 'ProfileWarning'],
  );
  const e = d.new.find((x) => x.keyword === 'ProfileError')!;
  t.like(e, { status: 'new', class: 'err', level: 'error', message: 'profile error', key: 'ProfileError repo: msg:profile error', counts: true, excluded: false });
  const stream = diffFindings([], parse(fixture('reporter-formats', 'JsonStream.jsonl')));
  const uv = stream.new.find((x) => x.keyword === 'UnquotedVariable')!;
  t.is(uv.message, 'lines: 5, 7; variable: D');
  t.deepEqual(uv.attributes, { lines: [5, 7], variable: 'D' });
  t.is(uv.class, 'staging');
});

test('different reporters for base and head: paired by keyword and location, with a warning', (t) => {
  const base = parse(fixture('reporter-formats', 'JsonStream.jsonl'));
  const head = parse(fixture('reporter-formats', 'XmlReporter.xml'));
  const d = diffFindings(base, head);
  t.is(d.warnings.length, 1);
  // Results without a category pair by keyword alone (XML has no eclass/profile/commit location).
  t.is(d.preExisting.length, 8);
  t.is(d.new.length + d.fixed.length, 0);
  // A genuinely new result still shows.
  const more = parse(fixture('reporter-formats', 'XmlReporter.xml').replace('</checks>', '<result><category>a</category><package>b</package><class>InvalidPN</class><msg>x</msg></result>\n</checks>'));
  t.deepEqual(diffFindings(base, more).new.map((e) => e.keyword), ['InvalidPN']);
});

test('a bump: findings the new version shares with the removed one are carried over from it, not new and not fixed', (t) => {
  const desc = (v: string) => ver('app-misc', 'hello', v, 'error', 'BadDependency', 'description too short');
  const base = parse(jr(desc('1.0')));
  const head = parse(jr(desc('1.1'), ver('app-misc', 'hello', '1.1', 'error', 'UnknownLicense', 'unknown license: BAD')));
  const d = diffFindings(base, head, { newVersions: new Set(['app-misc/hello/1.1']) });
  t.deepEqual(names(d.carriedOver), ['BadDependency@app-misc/hello-1.1']);
  t.is(d.carriedOver[0]!.carriedFrom, '1.0');
  t.is(d.carriedOver[0]!.status, 'carried-over');
  t.false(d.carriedOver[0]!.counts, 'not counted by default');
  t.deepEqual(names(d.new), ['UnknownLicense@app-misc/hello-1.1']);
  t.deepEqual(d.fixed, [], 'the old version\'s finding moved, it was not fixed');
  t.deepEqual(verdictOf(d), {
    status: 'failure',
    reason: '1 new error: UnknownLicense (app-misc/hello-1.1); 1 finding carried over from older versions, not counted',
  });
});

test('carried over from a kept version: that one stays pre-existing; countCarriedOver makes it count', (t) => {
  const desc = (v: string) => ver('app-misc', 'hello', v, 'error', 'BadDependency', 'description too short');
  const base = parse(jr(desc('1.0')));
  const head = parse(jr(desc('1.0'), desc('1.1')));
  const quiet = diffFindings(base, head, { newVersions: new Set(['app-misc/hello/1.1']) });
  t.deepEqual(names(quiet.preExisting), ['BadDependency@app-misc/hello-1.0']);
  t.deepEqual(names(quiet.carriedOver), ['BadDependency@app-misc/hello-1.1']);
  t.is(quiet.carriedOver[0]!.carriedFrom, '1.0');
  t.deepEqual(verdictOf(quiet), { status: 'success', reason: 'no new errors; 1 finding carried over from older versions, not counted' });
  const counted = diffFindings(base, head, { newVersions: new Set(['app-misc/hello/1.1']), countCarriedOver: true });
  t.true(counted.carriedOver[0]!.counts);
  t.deepEqual(verdictOf(counted), { status: 'failure', reason: '1 new error: BadDependency (app-misc/hello-1.1)' });
});

test('carried over needs an added version: a finding new to a version the base already has is new', (t) => {
  const desc = (v: string) => ver('app-misc', 'hello', v, 'error', 'BadDependency', 'description too short');
  const base = parse(jr(desc('1.0')));
  const head = parse(jr(desc('1.0'), desc('0.9')));
  const d = diffFindings(base, head, { newVersions: new Set(['app-misc/hello/1.1']) });
  t.deepEqual(names(d.new), ['BadDependency@app-misc/hello-0.9']);
  t.deepEqual(d.carriedOver, []);
  // Without newVersions, a version the base has no finding at counts as added.
  t.deepEqual(names(diffFindings(base, head).carriedOver), ['BadDependency@app-misc/hello-0.9']);
  // Another package, or another message, is never carried over.
  const other = parse(jr(ver('app-misc', 'bye', '1.1', 'error', 'BadDependency', 'description too short'), ver('app-misc', 'hello', '1.1', 'error', 'BadDependency', 'other')));
  t.deepEqual(diffFindings(base, other).carriedOver, []);
});

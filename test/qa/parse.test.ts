import test from 'ava';
import { detectFormat, parsePkgcheckOutput } from '../../src/qa/parse.ts';
import { describeLocation, type Finding } from '../../src/qa/types.ts';
import { expectedJsonStreamFiles, fixture } from './fixtures.ts';

/** The 8 results of pkgcheck's tests/test_reporters.py, as (keyword, location) in output order. */
const EIGHT = [
  ['ProfileWarning', 'repository'],
  ['ProfileError', 'repository'],
  ['InvalidCommitMessage', 'repository'],
  ['CatMissingMetadataXml', 'dev-libs'],
  ['InvalidPN', 'dev-libs/foo'],
  ['BadFilename', 'dev-libs/foo-0'],
  ['ReadonlyVariable', 'dev-libs/foo-0'],
  ['UnquotedVariable', 'dev-libs/foo-0'],
];
const MESSAGES = [
  'profile warning',
  'profile error',
  'commit 8d86269bb4c7: no commit message',
  'category is missing metadata.xml',
  'invalid package names: [ bar, baz ]',
  'bad filenames: [ 0.tar.gz, foo.tar.gz ]',
  "read-only variable 'P' assigned, line 7: P=6",
  'unquoted variable D on lines: 5, 7',
];

const summary = (f: Finding): string[] => [f.keyword, describeLocation(f.location)];

test('format detection from content', (t) => {
  t.is(detectFormat(fixture('reporter-formats', 'JsonStream.jsonl')), 'JsonStream');
  t.is(detectFormat(fixture('reporter-formats', 'JsonReporter.jsonl')), 'JsonReporter');
  t.is(detectFormat(fixture('reporter-formats', 'JsonReporter.v0.6.5-list-values.jsonl')), 'JsonReporter');
  t.is(detectFormat(fixture('reporter-formats', 'XmlReporter.xml')), 'XmlReporter');
  t.is(detectFormat(fixture('reporter-formats', 'CsvReporter.csv')), 'unknown');
  t.is(detectFormat(' \n\n'), 'empty');
});

test('JsonReporter: the 8 results with level, location and message', (t) => {
  const r = parsePkgcheckOutput(fixture('reporter-formats', 'JsonReporter.jsonl'));
  t.is(r.format, 'JsonReporter');
  t.deepEqual(r.problems, []);
  t.deepEqual(r.findings.map(summary), EIGHT);
  t.deepEqual(r.findings.map((f) => f.message), MESSAGES);
  t.deepEqual(r.findings.map((f) => f.level), ['warning', 'error', 'style', 'error', 'error', 'warning', 'warning', 'warning']);
  t.deepEqual(r.findings.map((f) => f.line), [1, 2, 3, 4, 5, 6, 7, 8]);
  t.deepEqual(r.findings[7]!.location, { category: 'dev-libs', package: 'foo', version: '0' });
  t.is(r.findings[7]!.scope, 'version');
  t.is(r.findings[4]!.scope, 'package');
  t.is(r.findings[3]!.scope, 'category');
  t.is(r.findings[0]!.scope, 'repo');
});

test('JsonReporter v0.6.5: one-element list descs read as messages', (t) => {
  const r = parsePkgcheckOutput(fixture('reporter-formats', 'JsonReporter.v0.6.5-list-values.jsonl'));
  t.deepEqual(r.problems, []);
  t.deepEqual(r.findings.map(summary), [EIGHT[0], EIGHT[3], EIGHT[4], EIGHT[5]]);
  t.deepEqual(r.findings.map((f) => f.message), [MESSAGES[0], MESSAGES[3], MESSAGES[4], MESSAGES[5]]);
});

test('XmlReporter: the 8 results, no level, line numbers of each <result>', (t) => {
  const r = parsePkgcheckOutput(fixture('reporter-formats', 'XmlReporter.xml'));
  t.is(r.format, 'XmlReporter');
  t.deepEqual(r.problems, []);
  t.deepEqual(r.findings.map(summary), EIGHT);
  t.deepEqual(r.findings.map((f) => f.message), MESSAGES);
  t.true(r.findings.every((f) => f.level === undefined));
  t.deepEqual(r.findings.map((f) => f.line), [2, 3, 4, 5, 6, 7, 8, 9]);
});

test('JsonStream: the 8 results with attributes; EbuildUnquotedVariable is UnquotedVariable', (t) => {
  const r = parsePkgcheckOutput(fixture('reporter-formats', 'JsonStream.jsonl'));
  t.is(r.format, 'JsonStream');
  t.deepEqual(r.problems, []);
  t.deepEqual(
    r.findings.map((f) => f.keyword),
    EIGHT.map(([k]) => k),
  );
  const uv = r.findings[7]!;
  t.is(uv.sourceClass, 'EbuildUnquotedVariable');
  t.deepEqual(uv.location, { category: 'dev-libs', package: 'foo', version: '0' });
  t.deepEqual(uv.attributes, { lines: [5, 7], variable: 'D' });
  t.is(uv.message, undefined);
  t.is(r.findings[2]!.scope, 'commit');
  t.deepEqual(r.findings[2]!.location, { commit: '8d86269bb4c7' });
  t.deepEqual(r.findings[2]!.attributes, { error: 'no commit message' });
  t.is(r.findings[0]!.scope, 'profile');
  t.is(r.findings[3]!.scope, 'category');
});

test('JsonStream: every expected.json of pkgcheck testdata reads without problems', (t) => {
  const files = expectedJsonStreamFiles();
  t.is(files.length, 20);
  for (const file of files) {
    const text = fixture('expected-jsonstream', file);
    const r = parsePkgcheckOutput(text);
    t.deepEqual(r.problems, [], file);
    t.is(r.format, 'JsonStream', file);
    t.is(r.findings.length, text.trim().split('\n').length, file);
    const keyword = file.replace(/\.jsonl$/, '').split('_')[2];
    t.true(r.findings.every((f) => f.keyword === keyword), file);
  }
});

test('JsonStream: scopes of eclass, profile, repository, package and version results', (t) => {
  const one = (file: string): Finding => parsePkgcheckOutput(fixture('expected-jsonstream', file)).findings[0]!;
  const eclass = one('eclass_EclassCheck_EclassDocError.jsonl');
  t.is(eclass.scope, 'eclass');
  t.deepEqual(eclass.location, { eclass: 'no-maintainer' });
  const profile = one('profiledir_ProfilesCheck_UnknownProfilePackage.jsonl');
  t.is(profile.scope, 'profile');
  t.deepEqual(profile.location, { profile: 'unknown_pkgs/package.mask' });
  t.deepEqual(profile.attributes, { atom: 'unknown/pkg_mask' });
  t.is(one('standalone_UnusedLicensesCheck_UnusedLicenses.jsonl').scope, 'repo');
  t.is(one('standalone_ManifestCheck_UnknownManifest.jsonl').scope, 'package');
  const nonsolvable = one('visibility_VisibilityCheck_NonsolvableDepsInStable.jsonl');
  t.is(nonsolvable.scope, 'version');
  t.is(nonsolvable.attributes!.num_profiles, 2);
});

test('unreadable JSON lines come back as problems with their line numbers', (t) => {
  const text = [
    '{"__class__": "NoFinalNewline", "category": "a", "package": "b", "version": "1"}',
    '',
    '{"__class__": "NoFinalNewline", "category": "a", "pack',
    '[1, 2]',
    '{"__class__": 7}',
    '{"__class__": "BannedEapi", "category": "a", "package": "b", "version": "2", "eapi": "1"}',
  ].join('\n');
  const r = parsePkgcheckOutput(text);
  t.deepEqual(
    r.findings.map((f) => f.line),
    [1, 6],
  );
  t.deepEqual(
    r.problems.map((p) => p.line),
    [3, 4, 5],
  );
  t.regex(r.problems[0]!.message, /invalid JSON/);
  t.is(r.problems[0]!.text, '{"__class__": "NoFinalNewline", "category": "a", "pack');
  t.regex(r.problems[2]!.message, /__class__/);
});

test('JsonReporter: unexpected shapes are problems, not silent drops', (t) => {
  const text = [
    '{"dev-libs": {"foo": {"0": {"_error": {"X": "x"}}}}}',
    '{"dev-libs": {"foo": {"0": {"1": {"_error": {"X": "x"}}}}}}',
    '{"dev-libs": 5}',
    '{}',
    '{"_error": {"X": []}}',
  ].join('\r\n');
  const r = parsePkgcheckOutput(text);
  t.is(r.findings.length, 1);
  t.deepEqual(
    r.problems.map((p) => p.line),
    [2, 3, 4, 5],
  );
});

test('XmlReporter: entities decoded, multi-line results, concatenated documents, bad lines reported', (t) => {
  const text = [
    '<?xml version="1.0"?>',
    '<checks>',
    '<result><category>dev-libs</category><package>foo</package><version>1</version><class>BadDependency</class><msg>depend: &lt;b&gt; &amp; &quot;x&quot; &#64;y &#x41;</msg></result>',
    '<result><class>ProfileError</class><msg>first',
    'second</msg></result>',
    '<result><class>Truncated</class><msg>no end',
    'garbage here',
    '<result><class>EclassUnquotedVariable</class><msg>foo: unquoted variable D on line: 3</msg></result>',
    '<result><class>X</class><msg>bad &nbsp; entity</msg></result>',
    '<result><msg>no class</msg></result>',
    '</checks>',
    '<checks>',
    '<result><category>a</category><class>CatMissingMetadataXml</class><msg>m</msg></result>',
    '</checks>',
  ].join('\n');
  const r = parsePkgcheckOutput(text);
  t.deepEqual(
    r.findings.map((f) => [f.keyword, f.line]),
    [
      ['BadDependency', 3],
      ['ProfileError', 4],
      ['UnquotedVariable', 8],
      ['CatMissingMetadataXml', 13],
    ],
  );
  t.is(r.findings[0]!.message, 'depend: <b> & "x" @y A');
  t.is(r.findings[1]!.message, 'first\nsecond');
  t.is(r.findings[2]!.sourceClass, 'EclassUnquotedVariable');
  t.deepEqual(
    r.problems.map((p) => [p.line, p.message]),
    [
      [6, '<result> without a closing </result>'],
      [7, 'not part of a pkgcheck XmlReporter document'],
      [9, 'bad entity reference in <msg>'],
      [10, '<result> without <class>'],
    ],
  );
});

test('a human-readable format is not guessed at: every line is a problem', (t) => {
  const r = parsePkgcheckOutput(fixture('reporter-formats', 'StrReporter.txt'));
  t.is(r.format, 'unknown');
  t.is(r.findings.length, 0);
  t.deepEqual(
    r.problems.map((p) => p.line),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
});

test('empty input is an empty scan', (t) => {
  t.deepEqual(parsePkgcheckOutput(''), { format: 'empty', findings: [], problems: [] });
  t.deepEqual(parsePkgcheckOutput('<checks>\n</checks>\n').findings, []);
  t.deepEqual(parsePkgcheckOutput('<checks>\n</checks>\n').problems, []);
});

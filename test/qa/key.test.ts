import test from 'ava';
import { findingKey, normaliseAttributes, normaliseMessage } from '../../src/qa/key.ts';
import { parsePkgcheckOutput } from '../../src/qa/parse.ts';
import { expectedJsonStreamFiles, fixture } from './fixtures.ts';

const keys = (text: string): string[] => parsePkgcheckOutput(text).findings.map(findingKey);

test('the same finding has the same key in JsonReporter and XmlReporter', (t) => {
  const json = keys(fixture('reporter-formats', 'JsonReporter.jsonl'));
  const xml = keys(fixture('reporter-formats', 'XmlReporter.xml'));
  t.is(json.length, 8);
  t.deepEqual(json, xml);
  t.is(new Set(json).size, 8);
});

test('old JsonReporter list descs key like current ones', (t) => {
  const old = keys(fixture('reporter-formats', 'JsonReporter.v0.6.5-list-values.jsonl'));
  const current = new Set(keys(fixture('reporter-formats', 'JsonReporter.jsonl')));
  t.is(old.length, 4);
  t.true(old.every((k) => current.has(k)));
});

test('key examples from the contract (docs/protocol.md section 9)', (t) => {
  t.deepEqual(keys(fixture('reporter-formats', 'XmlReporter.xml')), [
    'ProfileWarning repo: msg:profile warning',
    'ProfileError repo: msg:profile error',
    'InvalidCommitMessage repo: msg:commit 8d86269bb4c7: no commit message',
    'CatMissingMetadataXml category:dev-libs msg:category is missing metadata.xml',
    'InvalidPN package:dev-libs/foo msg:invalid package names: [ bar, baz ]',
    'BadFilename version:dev-libs/foo/0 msg:bad filenames: [ 0.tar.gz, foo.tar.gz ]',
    "ReadonlyVariable version:dev-libs/foo/0 msg:read-only variable 'P' assigned, line *: P=6",
    'UnquotedVariable version:dev-libs/foo/0 msg:unquoted variable D on line *',
  ]);
  t.deepEqual(keys(fixture('reporter-formats', 'JsonStream.jsonl')), [
    'ProfileWarning profile: attrs:{"msg":"profile warning"}',
    'ProfileError profile: attrs:{"msg":"profile error"}',
    'InvalidCommitMessage commit:8d86269bb4c7 attrs:{"error":"no commit message"}',
    'CatMissingMetadataXml category:dev-libs attrs:{"filename":"metadata.xml"}',
    'InvalidPN package:dev-libs/foo attrs:{"ebuilds":["bar","baz"]}',
    'BadFilename version:dev-libs/foo/0 attrs:{"filenames":["0.tar.gz","foo.tar.gz"]}',
    'ReadonlyVariable version:dev-libs/foo/0 attrs:{"line":"P=6","lineno":"*","variable":"P"}',
    'UnquotedVariable version:dev-libs/foo/0 attrs:{"lines":"*","variable":"D"}',
  ]);
  t.deepEqual(keys(fixture('expected-jsonstream', 'visibility_VisibilityCheck_NonsolvableDepsInStable.jsonl'))[0],
    'NonsolvableDepsInStable version:NonsolvableDepsInStable/masked/0 attrs:{"attr":"depend","deps":["stub/masked"],"keyword":"*","profile":"*","profile_deprecated":"*","profile_status":"stable"}');
});

test('no two distinct results of a pkgcheck expected.json share a key', (t) => {
  for (const file of expectedJsonStreamFiles()) {
    const k = keys(fixture('expected-jsonstream', file));
    t.is(new Set(k).size, k.length, file);
  }
});

test('JsonStream: num_profiles, the representative profile and list order do not change the key', (t) => {
  const base = fixture('expected-jsonstream', 'visibility_VisibilityCheck_NonsolvableDepsInStable.jsonl');
  const lines = base.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const changed = lines.map((r) => ({
    ...r,
    num_profiles: (r.num_profiles as number) + 5,
    profile: 'visibility/x86/stable',
    keyword: 'x86',
    deps: [...(r.deps as string[]), 'stub/other'].reverse(),
  }));
  const reordered = lines.map((r) => ({ ...r, deps: [...(r.deps as string[]), 'stub/other'] }));
  t.deepEqual(keys(changed.map((r) => JSON.stringify(r)).join('\n')), keys(reordered.map((r) => JSON.stringify(r)).join('\n')));

  const vcs = fixture('expected-jsonstream', 'standalone_VisibilityCheck_VisibleVcsPkg.jsonl').trim().split('\n')[0]!;
  const r = JSON.parse(vcs) as Record<string, unknown>;
  t.is(keys(vcs)[0], keys(JSON.stringify({ ...r, num_profiles: 9, profile: 'default/arm64', arch: 'arm64' }))[0]);
  // but a different version or keyword is a different finding
  t.not(keys(vcs)[0], keys(JSON.stringify({ ...r, version: '2' }))[0]);
});

test('JsonStream: a result not collapsed across profiles keeps its profile', (t) => {
  const [a, b] = keys(fixture('expected-jsonstream', 'standalone_DependencyCheck_UnstatedIuse.jsonl'));
  t.regex(a!, /"profile":null/);
  t.regex(b!, /"profile":"\*"/);
  const lp = JSON.stringify({ __class__: 'LaggingProfileEapi', profile: 'a/b', eapi: '7', parent: 'a', parent_eapi: '8' });
  t.is(keys(lp)[0], 'LaggingProfileEapi profile:a/b attrs:{"eapi":"7","parent":"a","parent_eapi":"8"}');
});

test('JsonStream: line numbers do not change the key, line content does', (t) => {
  const line = (o: Record<string, unknown>): string =>
    JSON.stringify({ __class__: 'ReadonlyVariable', category: 'dev-libs', package: 'foo', version: '0', ...o });
  t.is(keys(line({ line: 'P=6', lineno: 7, variable: 'P' }))[0], keys(line({ line: 'P=6', lineno: 12, variable: 'P' }))[0]);
  t.not(keys(line({ line: 'P=6', lineno: 7, variable: 'P' }))[0], keys(line({ line: 'P=7', lineno: 7, variable: 'P' }))[0]);
  const uv = (lines: number[]): string =>
    JSON.stringify({ __class__: 'EbuildUnquotedVariable', category: 'dev-libs', package: 'foo', version: '0', lines, variable: 'D' });
  t.is(keys(uv([5, 7]))[0], keys(uv([9, 11, 12]))[0]);
});

test('messages: "(N total)", profile names, line numbers and list order are normalised', (t) => {
  const m = (kw: string, s: string): string => normaliseMessage(kw, s);
  t.is(
    m('NonsolvableDepsInStable', 'nonsolvable depset(rdepend) keyword(amd64) stable profile (default/linux/amd64/23.0) (14 total): solutions: [ b/b, a/a ]'),
    m('NonsolvableDepsInStable', 'nonsolvable depset(rdepend) keyword(arm64) deprecated stable profile (default/linux/arm64/17.0): solutions: [ a/a, b/b ]'),
  );
  t.is(
    m('NonsolvableDepsInStable', 'nonsolvable depset(rdepend) keyword(amd64) stable profile (p) (2 total): solutions: [ a/a ]'),
    'nonsolvable depset(rdepend) keyword(*) stable profile (*): solutions: [ a/a ]',
  );
  t.not(
    m('NonsolvableDepsInStable', 'nonsolvable depset(rdepend) keyword(amd64) stable profile (p): solutions: [ a/a ]'),
    m('NonsolvableDepsInStable', 'nonsolvable depset(depend) keyword(amd64) stable profile (p): solutions: [ a/a ]'),
  );
  t.is(m('VisibleVcsPkg', 'VCS version visible for KEYWORDS="amd64", profile default/amd64 (2 total)'), 'VCS version visible for KEYWORDS="*", profile *');
  t.is(m('UnstatedIuse', "attr(rdepend): profile 'default/amd64' (2 total): unstated flag: [ used ]"), 'attr(rdepend): profile *: unstated flag: [ used ]');
  t.is(m('UnquotedVariable', 'unquoted variable D on lines: 5, 7'), m('UnquotedVariable', 'unquoted variable D on line: 9'));
  t.is(m('ReadonlyVariable', "read-only variable 'P' assigned, line 7: P=6"), "read-only variable 'P' assigned, line *: P=6");
  t.is(m('StableRequest', 'slot(0) no change in 45 days for unstable keyword: [ ~amd64 ]'), m('StableRequest', 'slot(0) no change in 46 days for unstable keyword: [ ~amd64 ]'));
  t.is(m('X', '  two\n  lines  '), 'two lines');
  // The rewrites are keyword-specific: another keyword keeps its profile name.
  t.is(m('LaggingProfileEapi', "'a/b' profile has EAPI 7, 'a' parent has EAPI 8"), "'a/b' profile has EAPI 7, 'a' parent has EAPI 8");
});

test('normaliseAttributes sorts lists and keys, masks volatile values, keeps nulls', (t) => {
  t.deepEqual(normaliseAttributes({ b: ['z', 'a'], a: 1, lineno: 3, lines: null, num_profiles: 2, profile: null }), {
    a: 1,
    b: ['a', 'z'],
    lineno: '*',
    lines: null,
    profile: null,
  });
});

test('Ebuild/Eclass class names key as the public keyword', (t) => {
  const stream = (cls: string): string => JSON.stringify({ __class__: cls, category: 'a', package: 'b', version: '1', line: 'x', variable: 'v', func: 'f', lines: [1] });
  t.is(keys(stream('EbuildVariableScope'))[0]!.split(' ')[0], 'VariableScope');
  const xml = (cls: string): string => `<checks>\n<result><category>a</category><package>b</package><version>1</version><class>${cls}</class><msg>m</msg></result>\n</checks>`;
  t.is(keys(xml('EbuildUnquotedVariable'))[0], keys(xml('UnquotedVariable'))[0]);
});

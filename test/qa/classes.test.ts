import test from 'ava';
import { isRefciError } from '../../src/errors.ts';
import { classCounts, GENTOO_KEYWORD_CLASSES, keywordClass, validateKeywordClasses } from '../../src/qa/classes.ts';
import { isExcluded, validateExcludes, type Excludes } from '../../src/qa/excludes.ts';
import { parsePkgcheckOutput } from '../../src/qa/parse.ts';
import type { Finding } from '../../src/qa/types.ts';
import { fixture, fixtureJson } from './fixtures.ts';

const f = (keyword: string, location: Finding['location'] = {}, sourceClass?: string): Finding => ({
  keyword,
  scope: 'version',
  location,
  format: 'XmlReporter',
  line: 1,
  message: 'm',
  ...(sourceClass ? { sourceClass } : {}),
});

test('the embedded class map is the Gentoo CI fixture, verbatim', (t) => {
  t.deepEqual({ ...GENTOO_KEYWORD_CLASSES }, fixtureJson('gentoo-ci', 'keyword-classes.json'));
  t.is(Object.keys(GENTOO_KEYWORD_CLASSES).length, 308);
});

test('classes of the fixture results under Gentoo CI', (t) => {
  const r = parsePkgcheckOutput(fixture('reporter-formats', 'XmlReporter.xml'));
  t.deepEqual(
    r.findings.map((x) => [x.keyword, keywordClass(x)]),
    [
      ['ProfileWarning', 'warn'],
      ['ProfileError', 'err'],
      ['InvalidCommitMessage', ''],
      ['CatMissingMetadataXml', 'warn'],
      ['InvalidPN', 'err'],
      ['BadFilename', 'warn'],
      ['ReadonlyVariable', 'staging'],
      ['UnquotedVariable', 'staging'],
    ],
  );
});

test('the public keyword is looked up first, then the class it was read as, then its variants', (t) => {
  // Gentoo CI maps VariableScope (what XmlReporter prints) to staging and EbuildVariableScope to warn.
  t.is(keywordClass(f('VariableScope', { category: 'a' }, 'EbuildVariableScope')), 'staging');
  const only = { EbuildThing: 'err', EclassThing: 'warn' };
  t.is(keywordClass(f('Thing', {}, 'EbuildThing'), only), 'err');
  // Without a class name (XML), an alias is resolved by location: package -> Ebuild*, none -> Eclass*.
  t.is(keywordClass(f('InvalidCopyright', { category: 'a', package: 'b', version: '1' }), { EbuildInvalidCopyright: 'err', EclassInvalidCopyright: 'warn' }), 'err');
  t.is(keywordClass(f('InvalidCopyright', {}), { EbuildInvalidCopyright: 'err', EclassInvalidCopyright: 'warn' }), 'warn');
  t.is(keywordClass(f('Unmapped')), '');
  t.is(keywordClass(f('constructor')), '', 'no prototype keys');
});

test('a caller-supplied map replaces the default', (t) => {
  const classes = validateKeywordClasses(fixtureJson('gentoo-ci', 'keyword-classes.2016.json'));
  t.is(keywordClass(f('VisibleVcsPkg'), classes), 'err');
  t.is(keywordClass(f('InvalidPN'), classes), '');
});

test('err counts; warn counts only with countWarnings; nothing else counts', (t) => {
  t.true(classCounts('err', false));
  t.false(classCounts('warn', false));
  t.true(classCounts('warn', true));
  for (const c of ['staging', 'verbose', '', 'war']) t.false(classCounts(c, true), c);
});

test('invalid class maps are RefciError invalid-input naming the source', (t) => {
  const e1 = t.throws(() => validateKeywordClasses([], 'keyword classes file x.json'));
  t.true(isRefciError(e1));
  t.is((e1 as unknown as { code: string }).code, 'invalid-input');
  t.regex(e1!.message, /x\.json is not a JSON object/);
  const e2 = t.throws(() => validateKeywordClasses({ A: 'err', B: 3 }, 'c.json'));
  t.regex(e2!.message, /c\.json: the class of "B" is 3/);
});

test('excludes: the Gentoo CI excerpt', (t) => {
  const ex = validateExcludes(fixtureJson('gentoo-ci', 'excludes.excerpt.json'));
  t.true(isExcluded(f('DeprecatedEclass', { category: 'app-arch', package: 'dpkg', version: '1.19.6' }), ex));
  t.false(isExcluded(f('DeprecatedEclass', { category: 'app-arch', package: 'dpkg', version: '1.22.14' }), ex));
  t.true(isExcluded(f('DeprecatedEclassFunction', { category: 'app-arch', package: 'dpkg', version: '1.22.14' }), ex));
  t.false(isExcluded(f('DeprecatedEclass', { category: 'app-arch', package: 'dpkg', version: '9999' }), ex));
  // "" = nothing at that level: repository-level (eclass) results only, as pkgcheck2html reads it.
  t.true(isExcluded(f('UnquotedVariable', {}), ex));
  t.true(isExcluded(f('EclassExportFuncsBeforeInherit', {}), ex));
  t.false(isExcluded(f('UnquotedVariable', { category: 'app-arch', package: 'p7zip', version: '16.02-r4' }), ex));
  // JsonStream eclass results (location.eclass, no category) match "" too, under either name.
  t.true(isExcluded(f('UnquotedVariable', { eclass: 'foo' }, 'EclassUnquotedVariable'), ex));
});

test('excludes: "*" means any value at that level', (t) => {
  const ex: Excludes = { 'dev-libs': { '*': { '*': ['BadFilename'] } }, '*': { foo: { '': ['InvalidPN'] } } };
  t.true(isExcluded(f('BadFilename', { category: 'dev-libs', package: 'foo', version: '0' }), ex));
  t.false(isExcluded(f('BadFilename', { category: 'dev-util', package: 'foo', version: '0' }), ex));
  t.true(isExcluded(f('InvalidPN', { category: 'x', package: 'foo' }), ex));
  t.false(isExcluded(f('InvalidPN', { category: 'x', package: 'foo', version: '1' }), ex));
  t.false(isExcluded(f('BadFilename', { category: 'dev-libs' }), undefined));
});

test('invalid excludes are RefciError invalid-input naming the place', (t) => {
  t.regex(t.throws(() => validateExcludes([], 'e.json'))!.message, /e\.json is not a JSON object/);
  t.regex(t.throws(() => validateExcludes({ a: { b: { c: 'K' } } }, 'e.json'))!.message, /"a\/b\/c" does not map to a list/);
  t.regex(t.throws(() => validateExcludes({ a: [] }, 'e.json'))!.message, /"a" does not map to an object/);
});

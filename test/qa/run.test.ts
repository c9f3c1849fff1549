import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { qaDiffCommand } from '../../src/collect/qa-diff-command.ts';
import { isRefciError, type RefciError } from '../../src/errors.ts';
import type { JsonReport } from '../../src/qa/report-json.ts';
import { runQaDiff } from '../../src/qa/run.ts';
import { tempDir } from '../helpers/temp.ts';
import { FIXTURES, fixture } from './fixtures.ts';

const line = (cat: string, pkg: string, ver: string, kw: string, msg: string, level = 'error'): string =>
  JSON.stringify({ [cat]: { [pkg]: { [ver]: { [`_${level}`]: { [kw]: msg } } } } });

test('runQaDiff json: verdict, counts and the three lists with keyword, class, level, location, message, key', (t) => {
  const base = fixture('reporter-formats', 'JsonReporter.jsonl');
  const head = `${base}${line('dev-libs', 'foo', '0', 'UnknownLicense', 'unknown license: BAD')}\n`;
  const { output, verdict } = runQaDiff({ baseText: base, headText: head, format: 'json', headSha: 'h', baseSha: 'b', jobId: 'j' });
  const report = JSON.parse(output) as JsonReport;
  t.deepEqual(report.verdict, verdict);
  t.deepEqual(verdict, { status: 'failure', reason: '1 new error: UnknownLicense (dev-libs/foo-0)' });
  t.deepEqual(report.counts, { new: 1, newCounting: 1, fixed: 0, fixedCounting: 0, preExisting: 8, preExistingCounting: 2, carriedOver: 0, carriedOverCounting: 0 });
  t.deepEqual(report.carriedOver, []);
  t.deepEqual(report.new[0], {
    keyword: 'UnknownLicense',
    class: 'err',
    level: 'error',
    scope: 'version',
    location: { category: 'dev-libs', package: 'foo', version: '0' },
    message: 'unknown license: BAD',
    key: 'UnknownLicense version:dev-libs/foo/0 msg:unknown license: BAD',
    counts: true,
    excluded: false,
  });
  t.deepEqual(report.meta, { headSha: 'h', baseSha: 'b', jobId: 'j', reportUrl: null });
  t.deepEqual(report.formats, { base: 'JsonReporter', head: 'JsonReporter' });
  t.is(report.preExisting.length, 8);
  t.deepEqual(report.fixed, []);
});

test('runQaDiff: XmlReporter base and head', (t) => {
  const base = fixture('reporter-formats', 'XmlReporter.xml');
  const head = base.replace(
    '</checks>',
    '<result><category>dev-libs</category><package>foo</package><version>0</version><class>BadDependency</class><msg>depend: x</msg></result>\n</checks>',
  );
  const { verdict } = runQaDiff({ baseText: base, headText: head });
  t.deepEqual(verdict, { status: 'failure', reason: '1 new error: BadDependency (dev-libs/foo-0)' });
});

test('runQaDiff: unreadable lines make the verdict error unless tolerated; pipelineError makes it error', (t) => {
  const base = fixture('reporter-formats', 'JsonStream.jsonl');
  const head = `${base}{"__class__": "Trunc`;
  const v = runQaDiff({ baseText: base, headText: head }).verdict;
  t.is(v.status, 'error');
  t.regex(v.reason, /^the check failed: 1 unreadable line in the head pkgcheck output \(line 9: invalid JSON/);
  t.true(v.reason.endsWith('; no new errors'));
  t.deepEqual(runQaDiff({ baseText: base, headText: head, tolerateProblems: true }).verdict, { status: 'success', reason: 'no new errors' });
  const failed = runQaDiff({ baseText: base, headText: base, pipelineError: 'pmaint regen failed (exit 1)' }).verdict;
  t.deepEqual(failed, { status: 'error', reason: 'the check failed: pmaint regen failed (exit 1); no new errors' });
});

test('runQaDiff: countWarnings, classes and excludes are passed through', (t) => {
  const head = line('dev-libs', 'foo', '0', 'BadFilename', 'bad filenames: [ x ]', 'warning');
  t.is(runQaDiff({ baseText: '', headText: head }).verdict.status, 'success');
  t.is(runQaDiff({ baseText: '', headText: head, countWarnings: true }).verdict.status, 'failure');
  t.is(runQaDiff({ baseText: '', headText: head, classes: { BadFilename: 'err' } }).verdict.status, 'failure');
  t.is(
    runQaDiff({ baseText: '', headText: head, classes: { BadFilename: 'err' }, excludes: { 'dev-libs': { foo: { '0': ['BadFilename'] } } } }).verdict.status,
    'success',
  );
});

test('qaDiffCommand reads the files and renders every format', async (t) => {
  const dir = tempDir(t);
  const base = path.join(FIXTURES, 'reporter-formats', 'JsonStream.jsonl');
  const head = path.join(dir, 'head.jsonl');
  fs.writeFileSync(head, `${fs.readFileSync(base, 'utf8')}{"__class__": "BannedEapi", "category": "dev-libs", "package": "foo", "version": "1", "eapi": "5"}\n`);
  const classes = path.join(dir, 'classes.json');
  fs.writeFileSync(classes, JSON.stringify({ BannedEapi: 'warn' }));
  const json = await qaDiffCommand({ base, head });
  t.is(json.verdict.status, 'failure');
  t.is((JSON.parse(json.output) as JsonReport).new[0]!.keyword, 'BannedEapi');
  const md = await qaDiffCommand({ base, head, format: 'markdown', classes });
  t.is(md.verdict.status, 'success');
  t.true(md.output.startsWith('## ✅'));
  const md2 = await qaDiffCommand({ base, head, format: 'markdown', classes, countWarnings: true });
  t.is(md2.verdict.status, 'failure');
  const html = await qaDiffCommand({
    base,
    head,
    format: 'html',
    excludes: path.join(FIXTURES, 'gentoo-ci', 'excludes.excerpt.json'),
  });
  t.true(html.output.startsWith('<!DOCTYPE html>'));
});

test('qaDiffCommand: file problems are RefciError invalid-input naming the file', async (t) => {
  const dir = tempDir(t);
  const base = path.join(FIXTURES, 'reporter-formats', 'JsonStream.jsonl');
  const check = async (opts: Parameters<typeof qaDiffCommand>[0], pattern: RegExp): Promise<void> => {
    const error = await t.throwsAsync(qaDiffCommand(opts));
    t.true(isRefciError(error));
    t.is((error as RefciError).code, 'invalid-input');
    t.regex(error!.message, pattern);
    t.truthy((error as RefciError).hint);
  };
  await check({ base: path.join(dir, 'missing.jsonl'), head: base }, /base pkgcheck output file .*missing\.jsonl does not exist/);
  await check({ base, head: dir }, /head pkgcheck output file .* is a directory/);
  const badJson = path.join(dir, 'classes.json');
  fs.writeFileSync(badJson, '{"A": "err",');
  await check({ base, head: base, classes: badJson }, /keyword classes file .*classes\.json is not valid JSON/);
  const badShape = path.join(dir, 'shape.json');
  fs.writeFileSync(badShape, '{"A": 1}');
  await check({ base, head: base, classes: badShape }, /keyword classes file .*shape\.json: the class of "A" is 1, not a string/);
  const badExcludes = path.join(dir, 'excludes.json');
  fs.writeFileSync(badExcludes, '{"a": {"b": {"c": "K"}}}');
  await check({ base, head: base, excludes: badExcludes }, /excludes file .*excludes\.json: "a\/b\/c" does not map to a list/);
  const usage = await t.throwsAsync(qaDiffCommand({ base, head: base, format: 'pdf' as 'json' }));
  t.is((usage as RefciError).code, 'usage');
});

import test from 'ava';
import { diffFindings } from '../../src/qa/diff.ts';
import { parsePkgcheckOutput } from '../../src/qa/parse.ts';
import { verdictOf } from '../../src/qa/verdict.ts';

const jr = (n: number, kw = 'InvalidPN', level = 'error'): string =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ 'dev-libs': { [`p${i}`]: { [`_${level}`]: { [kw]: `invalid package names: [ x${i} ]` } } } })).join('\n');
const parse = (s: string) => parsePkgcheckOutput(s).findings;

test('failure names the new errors, at most three, then "and N more"', (t) => {
  t.deepEqual(verdictOf(diffFindings([], parse(jr(2)))), {
    status: 'failure',
    reason: '2 new errors: InvalidPN (dev-libs/p0), InvalidPN (dev-libs/p1)',
  });
  t.is(verdictOf(diffFindings([], parse(jr(5)))).reason, '5 new errors: InvalidPN (dev-libs/p0), InvalidPN (dev-libs/p1), InvalidPN (dev-libs/p2) and 2 more');
  t.is(verdictOf(diffFindings([], parse(jr(1)))).reason, '1 new error: InvalidPN (dev-libs/p0)');
});

test('success says there is nothing new, and what was fixed', (t) => {
  t.deepEqual(verdictOf(diffFindings([], [])), { status: 'success', reason: 'no new errors' });
  t.deepEqual(verdictOf(diffFindings(parse(jr(1)), [])), { status: 'success', reason: 'no new errors; 1 fixed' });
  t.is(verdictOf(diffFindings([], parse(jr(2, 'BadFilename', 'warning')))).reason, 'no new errors; 2 new findings that do not count');
});

test('error when told the pipeline failed, with or without a diff', (t) => {
  t.deepEqual(verdictOf(null, { pipelineError: 'pkgcheck scan timed out after 45 min' }), {
    status: 'error',
    reason: 'the check failed: pkgcheck scan timed out after 45 min',
  });
  const v = verdictOf(diffFindings([], parse(jr(1))), { pipelineError: 'regen failed' });
  t.is(v.status, 'error');
  t.is(v.reason, 'the check failed: regen failed; 1 new error: InvalidPN (dev-libs/p0)');
});

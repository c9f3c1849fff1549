import test from 'ava';
import { baseScanLine } from '../../src/collect/base-scan-line.ts';
import { checkFacts } from '../../src/collect/verdict.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { factsBlock } from '../../src/qa/report-facts.ts';

const same = '(same base commit, targets, tool versions and configuration)';

test('one line says which base scan came from which earlier job; none when nothing was reused', (t) => {
  t.is(baseScanLine({ baseScanCache: { reused: [{ step: 'scan-base', fromJob: 'pr7-0d167b126d5cd49b', at: '2026-01-01T00:00:00.000Z' }], stored: [] } }), `scan-base reused from job pr7-0d167b126d5cd49b ${same}`);
  t.is(
    baseScanLine({ baseScanCache: { reused: [{ step: 'scan-base', fromJob: 'j1' }, { step: 'scan-extra', fromJob: 'j1' }] } }),
    `scan-base, scan-extra reused from job j1 ${same}`,
  );
  t.is(baseScanLine({ baseScanCache: { reused: [{ step: 'scan-base', fromJob: 'j1' }, { step: 'scan-extra', fromJob: 'j2' }] } }), `scan-base reused from job j1; scan-extra reused from job j2 ${same}`);
  t.is(baseScanLine({ baseScanCache: { reused: [], stored: ['scan-base'] } }), undefined);
  t.is(baseScanLine({}), undefined, 'a worker without the cache records nothing');
});

test('what a worker wrote is used only in the expected shapes', (t) => {
  for (const junk of ['yes', null, { reused: 'all' }, { reused: [null, 3, { step: 'scan-base' }, { step: 'x y', fromJob: 'j1' }, { step: 'scan-base', fromJob: '@everyone <b>' }] }]) {
    t.is(baseScanLine({ baseScanCache: junk }), undefined, JSON.stringify(junk));
  }
  const result = { ...closingResult('j1', 'success', 'ok', 'w1', 1, 0), details: { baseScanCache: { reused: [{ step: 'scan-base', fromJob: 'pr_1-x' }] } } };
  t.true(factsBlock(checkFacts(undefined, result)).split('\n').includes(`- Base scan: scan-base reused from job pr\\_1-x ${same}`), 'escaped');
});

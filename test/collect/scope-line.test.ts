import test from 'ava';
import { scopeLine } from '../../src/collect/scope-line.ts';
import { checkFacts } from '../../src/collect/verdict.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { computeScope } from '../../src/gentoo/scope.ts';
import { factsBlock } from '../../src/qa/report-facts.ts';

test('one line says what was scanned and why, from the scope the worker recorded', (t) => {
  const scope = computeScope({
    changes: [
      { status: 'M', path: 'app-misc/hello/hello-1.ebuild' },
      { status: 'M', path: 'eclass/sample-build.eclass' },
      { status: 'A', path: 'profiles/updates/1Q-2026' },
    ],
    eclassesByPackage: new Map([
      ['app-misc/hello', []],
      ['dev-libs/libfoo', ['sample-build']],
      ['dev-libs/libbar', ['sample-build']],
    ]),
    maxTargets: 200,
  });
  t.is(
    scopeLine({ scope }),
    '3 packages: app-misc/hello (changed); dev-libs/libbar, dev-libs/libfoo (inherit sample-build.eclass); eclass sample-build; repository-level checks',
  );
  t.is(scopeLine({ scope: { mode: 'full', targets: [] } }), 'the whole repository');
  t.is(scopeLine({}), undefined, 'no scope recorded (a steps pipeline): no line');
  t.is(scopeLine({ scope: { targets: [], reasons: 'junk' } }), undefined);
  const many = { targets: Array.from({ length: 12 }, (_, i) => `cat/p${i}`), reasons: [] };
  t.is(scopeLine({ scope: many }), '12 packages: cat/p0, cat/p1, cat/p2, cat/p3, cat/p4, cat/p5, cat/p6, cat/p7 and 4 more (changed)');
});

test('the closing block of every comment carries it, escaped', (t) => {
  const result = { ...closingResult('j1', 'success', 'ok', 'w1', 1, 0), details: { scope: { targets: ['app-misc/<b>x</b>'], reasons: [] } } };
  const block = factsBlock(checkFacts(undefined, result));
  t.regex(block, /^- Scanned: 1 package: app-misc\/&#?[0-9a-z]+;b&#?[0-9a-z]+;x/m);
  t.false(block.includes('<b>'));
});

import test from 'ava';
import { escapeMarkdown, codeSpan } from '../../src/qa/escape.ts';
import { runQaDiff } from '../../src/qa/run.ts';
import { fixture } from './fixtures.ts';

const line = (cat: string, pkg: string, ver: string, kw: string, msg: string, level = 'error'): string =>
  JSON.stringify({ [cat]: { [pkg]: { [ver]: { [`_${level}`]: { [kw]: msg } } } } });

function many(n: number, prefix: string, msgLength = 60): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(line(`cat-${i % 37}`, `${prefix}${i}`, '1.0', 'InvalidPN', `invalid package names: [ ${'x'.repeat(msgLength)}${i} ]`));
  return out.join('\n');
}

test('the comment: heading, reason, New problems grouped by package, Fixed, then the ones already present with those in touched packages, then the facts', (t) => {
  const base = fixture('reporter-formats', 'JsonReporter.jsonl');
  const head = base.replace(/.*InvalidPN.*\n/, '') + line('dev-libs', 'foo', '0', 'UnknownLicense', 'unknown license: BAD') + '\n';
  const { output, verdict, report } = runQaDiff({
    baseText: base,
    headText: head,
    format: 'markdown',
    headSha: 'a'.repeat(40),
    baseSha: 'b'.repeat(40),
    baseRef: 'refs/heads/master',
    checkedAt: '2025-03-01T10:02:33.120Z',
    tools: { pkgcheck: '0.10.30', pkgcore: '0.12.28' },
    pr: 12,
    prUrl: 'https://github.com/gentoo/gentoo/pull/12',
    jobId: 'job-42',
    reportUrl: 'https://ci.example.org/job-42/report.html',
    touchedPackages: ['dev-libs/foo'],
  });
  t.is(verdict.status, 'failure');
  t.true(output.startsWith('## ❌ 1 new problem\n\n1 new error: UnknownLicense (dev-libs/foo-0); 1 fixed\n'), output);
  const iNew = output.indexOf('### New problems (1)\n');
  const iFixed = output.indexOf('### Fixed (1)\n');
  const touched = report.diff.preExisting.filter((e) => e.location.category === 'dev-libs' && e.location.package === 'foo').length;
  const iPre = output.indexOf(`### Already present before this PR (7, in packages you touched: ${touched})\n`);
  t.true(iNew > 0 && iNew < iFixed && iFixed < iPre, output);
  t.true(touched > 0 && touched < 7);
  t.true(output.includes('**dev-libs/foo**\n- ❌ `UnknownLicense` in `foo-0`: unknown license: BAD'));
  t.true(output.includes('- ✅ `InvalidPN`: invalid package names: \\[ bar, baz \\]'), output);
  // The ones already present are listed for the touched package only, without a mark; the rest are counted.
  const preSection = output.slice(iPre, output.indexOf('\n---\n'));
  t.is(preSection.split('\n').filter((l) => l.startsWith('- ')).length, touched);
  t.false(preSection.includes('❌'));
  t.true(preSection.includes(`The other ${7 - touched} are in packages this pull request does not change; see [full report](https://ci.example.org/job-42/report.html).`), preSection);
  // The facts: full commit ids as plain text, the time, the tools, the links.
  t.true(output.endsWith([
    '---',
    `- Checked: ${'a'.repeat(40)} merged onto ${'b'.repeat(40)} (\`master\`)`,
    '- When: 2025-03-01 10:02 UTC',
    '- Tools: pkgcheck 0.10.30, pkgcore 0.12.28',
    '- Links: [pull request #12](https://github.com/gentoo/gentoo/pull/12) · [full report](https://ci.example.org/job-42/report.html)',
    '',
  ].join('\n')), output);
  assertContributorWords(t, output);
});

/** Words of refci's inside that a contributor should not have to read. */
const INTERNAL = /\b(job|jobs|worker|workers|pipeline|attempt|lease|collector|verdict|counting|shard|coordination|refci)\b|refs\/ci/i;

function assertContributorWords(t: import('ava').ExecutionContext, text: string): void {
  const visible = text.replace(/<!--[\s\S]*?-->/g, '').replace(/\]\([^)]*\)/g, ']');
  t.notRegex(visible, INTERNAL, visible);
}

test('success and error headings; no facts, no list of touched packages: what is known is said', (t) => {
  const ok = runQaDiff({ baseText: line('a-b', 'c', '1', 'InvalidPN', 'x'), headText: line('a-b', 'c', '1', 'InvalidPN', 'x'), format: 'markdown' }).output;
  t.true(ok.startsWith('## ✅ No new problems\n\nno new errors\n'), ok);
  t.true(ok.includes('### Already present before this PR (1)\n\nListed in the full report.\n'), ok);
  t.false(ok.includes('---'), 'no facts, no closing block');
  assertContributorWords(t, ok);
  const broken = runQaDiff({ baseText: '', headText: '{"__class__": "Trunc', format: 'markdown', headSha: 'c'.repeat(40) }).output;
  t.true(broken.startsWith('## ⚠️ The check could not be completed\n\nthe check failed: 1 unreadable line'), broken);
  assertContributorWords(t, broken);
});

test('thousands of findings: capped under the GitHub limit with a note and a link', (t) => {
  const { output } = runQaDiff({
    baseText: many(2000, 'old', 80),
    headText: many(3000, 'new', 120),
    format: 'markdown',
    reportUrl: 'https://ci.example.org/r.html',
  });
  t.true(output.length <= 60_000, `length ${output.length}`);
  t.true(output.length > 50_000, 'uses the space it has');
  t.regex(output, /_… \d+ more new problems not shown \(\d+ of them fail the check\): the comment is capped at 60000 characters; see \[full report\]\(https:\/\/ci\.example\.org\/r\.html\)\._/);
  t.regex(output, /_… 2000 more fixed problems not shown/);
  t.true(output.includes('### Already present before this PR'));
  const shown = output.split('\n').filter((l) => l.startsWith('- ❌')).length;
  const notShown = Number(/_… (\d+) more new/.exec(output)![1]);
  t.is(shown + notShown, 3000);
  // No package heading is left without one of its findings under it.
  t.notRegex(output, /\*\*\n\n_…/);
});

test('a custom cap is honoured too', (t) => {
  for (const maxLength of [3000, 10_000]) {
    const { output } = runQaDiff({ baseText: '', headText: many(500, 'p'), format: 'markdown', maxLength });
    t.true(output.length <= maxLength, `${output.length} <= ${maxLength}`);
    t.true(output.includes('not shown'));
  }
});

test('nothing from pkgcheck can inject HTML, mentions, references or Markdown', (t) => {
  const evil = '<img src=x onerror=alert(1)> @gentoo/qa #1234 *bold* [link](javascript:alert(1)) `code` | pipe\n- list';
  const { output } = runQaDiff({
    baseText: '',
    headText: line('dev-libs', 'foo', '0', 'BadDependency', evil) + '\n' + line('dev-libs', 'b<i>ar', '1', 'Evil`Keyword', 'x'),
    format: 'markdown',
  });
  // Raw < and > appear only inside code spans, where GitHub shows text literally.
  const lines = output.split('\n');
  t.false(lines.find((l) => l.includes('BadDependency'))!.includes('<'));
  t.true(lines.includes('- ``Evil`Keyword`` in `b<i>ar-1`: x'));
  t.true(lines.includes('**dev-libs/b&lt;i&gt;ar**'));
  t.false(output.includes('@gentoo'), 'mention broken');
  t.false(output.includes('#1234'), 'reference broken');
  t.false(output.includes('[link]('));
  t.true(output.includes('&lt;img src=x onerror=alert(1)&gt; @\u200bgentoo/qa \\#\u200b1234 \\*bold\\* \\[link\\](javascript:alert(1)) \\`code\\` \\| pipe - list'));
  t.true(output.includes('``Evil`Keyword``'));
});

test('escapeMarkdown and codeSpan', (t) => {
  t.is(escapeMarkdown('- a'), '\\- a');
  t.is(escapeMarkdown('1. a'), '1\\. a');
  t.is(escapeMarkdown('a & b'), 'a &amp; b');
  t.is(escapeMarkdown('line\r\nbreak'), 'line break');
  t.is(codeSpan('a`b'), '``a`b``');
  t.is(codeSpan('`a'), '`` `a ``');
  t.is(codeSpan(''), '` `');
});

test('a report URL that is not http(s) is shown as text, not linked', (t) => {
  const { output } = runQaDiff({ baseText: '', headText: line('a', 'b', '1', 'InvalidPN', 'x'), format: 'markdown', reportUrl: 'javascript:alert(1)' });
  t.false(output.includes('](javascript'));
});

test('carried-over findings: their own section right after the new ones, naming the old version, not counted', (t) => {
  const base = `${line('app-misc', 'hello', '1.0', 'BadDependency', 'description too short')}\n`;
  const head = `${line('app-misc', 'hello', '1.1', 'BadDependency', 'description too short')}\n${line('app-misc', 'hello', '1.1', 'UnknownLicense', 'unknown license: BAD')}\n`;
  const { output, verdict } = runQaDiff({ baseText: base, headText: head, format: 'markdown', newVersions: ['app-misc/hello/1.1'] });
  t.deepEqual(verdict, { status: 'failure', reason: '1 new error: UnknownLicense (app-misc/hello-1.1); 1 finding carried over from older versions, not counted' });
  const newAt = output.indexOf('### New problems (1)');
  const carriedAt = output.indexOf('### Carried over from older versions (1)\n');
  const fixedAt = output.indexOf('### Fixed (0)');
  t.true(newAt >= 0 && carriedAt > newAt && fixedAt > carriedAt, output);
  t.true(output.includes('- `BadDependency` in `hello-1.1` (carried over from `1.0`): description too short\n'), output);
  const counted = runQaDiff({ baseText: base, headText: head, format: 'markdown', newVersions: ['app-misc/hello/1.1'], countCarriedOver: true });
  t.true(counted.output.includes('### Carried over from older versions (1)'), counted.output);
  t.true(counted.output.includes('- ❌ `BadDependency`'), counted.output);
  // No carried-over finding: no section.
  t.false(runQaDiff({ baseText: base, headText: base, format: 'markdown' }).output.includes('Carried over'));
});

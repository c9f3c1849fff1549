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

test('the comment: verdict heading, commit, new first grouped by package, then fixed, then a count of pre-existing', (t) => {
  const base = fixture('reporter-formats', 'JsonReporter.jsonl');
  const head = base.replace(/.*InvalidPN.*\n/, '') + line('dev-libs', 'foo', '0', 'UnknownLicense', 'unknown license: BAD') + '\n';
  const { output, verdict } = runQaDiff({
    baseText: base,
    headText: head,
    format: 'markdown',
    headSha: 'a'.repeat(40),
    baseSha: 'b'.repeat(40),
    jobId: 'job-42',
    reportUrl: 'https://ci.example.org/job-42/report.html',
  });
  t.is(verdict.status, 'failure');
  t.true(output.startsWith('## ❌ refci QA: failure\n'));
  t.true(output.includes('1 new error: UnknownLicense (dev-libs/foo-0); 1 fixed'));
  t.true(output.includes(`checked \`${'a'.repeat(12)}\``));
  t.true(output.includes(`against base \`${'b'.repeat(12)}\``));
  t.true(output.includes('job `job-42`'));
  t.true(output.includes('[full report](https://ci.example.org/job-42/report.html)'));
  const iNew = output.indexOf('### New findings (1, 1 counting)');
  const iFixed = output.indexOf('### Fixed (1, 1 counting)');
  const iPre = output.indexOf('### Pre-existing');
  t.true(iNew > 0 && iNew < iFixed && iFixed < iPre);
  t.true(output.includes('**dev-libs/foo**\n- ❌ `UnknownLicense` · err · `foo-0`: unknown license: BAD'));
  t.true(output.includes('- ✅ `InvalidPN` · err: invalid package names: \\[ bar, baz \\]'));
  t.true(output.includes('7 findings already in the base (1 would count if new)'));
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
  t.regex(output, /_… \d+ more new findings not shown \(\d+ counting\): the comment is capped at 60000 characters; see \[full report\]\(https:\/\/ci\.example\.org\/r\.html\)\._/);
  t.regex(output, /_… 2000 more fixed findings not shown/);
  t.true(output.includes('### Pre-existing'));
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
  t.true(lines.includes('- ``Evil`Keyword`` · no class · `b<i>ar-1`: x'));
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
  const newAt = output.indexOf('### New findings (1, 1 counting)');
  const carriedAt = output.indexOf('### Carried over from older versions (1)\n');
  const fixedAt = output.indexOf('### Fixed (0)');
  t.true(newAt >= 0 && carriedAt > newAt && fixedAt > carriedAt, output);
  t.true(output.includes('- `BadDependency` · err · carried over from `1.0` · `hello-1.1`: description too short\n'), output);
  const counted = runQaDiff({ baseText: base, headText: head, format: 'markdown', newVersions: ['app-misc/hello/1.1'], countCarriedOver: true });
  t.true(counted.output.includes('### Carried over from older versions (1, 1 counting)'), counted.output);
  t.true(counted.output.includes('- ❌ `BadDependency`'), counted.output);
  // No carried-over finding: no section.
  t.false(runQaDiff({ baseText: base, headText: base, format: 'markdown' }).output.includes('Carried over'));
});

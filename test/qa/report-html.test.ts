import test from 'ava';
import { escapeHtml } from '../../src/qa/escape.ts';
import { runQaDiff } from '../../src/qa/run.ts';
import { fixture } from './fixtures.ts';

const line = (cat: string, pkg: string, ver: string, kw: string, msg: string, level = 'error'): string =>
  JSON.stringify({ [cat]: { [pkg]: { [ver]: { [`_${level}`]: { [kw]: msg } } } } });

test('standalone page: no external resource, a CSP, grouped by category and package with one anchor each', (t) => {
  const base = fixture('reporter-formats', 'JsonReporter.jsonl');
  const head = base.replace(/.*InvalidPN.*\n/, '') + line('dev-libs', 'foo', '0', 'UnknownLicense', 'unknown license: BAD') + '\n';
  const { output } = runQaDiff({ baseText: base, headText: head, format: 'html', headSha: 'c'.repeat(40), jobId: 'j-1' });
  t.true(output.startsWith('<!DOCTYPE html>'));
  t.notRegex(output, /\s(src|href)="(https?:)?\/\//);
  t.notRegex(output, /<link\b/);
  t.true(output.includes("Content-Security-Policy\" content=\"default-src 'none'"));
  const ids = [...output.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]);
  t.is(new Set(ids).size, ids.length, 'ids are unique');
  t.true(ids.includes('pkg-dev-libs/foo'));
  t.true(ids.includes('cat-dev-libs'));
  t.true(ids.includes('repo'));
  t.true(ids.includes('new') && ids.includes('fixed') && ids.includes('pre-existing'));
  // The package anchor is on its first heading: the new section.
  t.true(output.indexOf('id="pkg-dev-libs/foo"') < output.indexOf('<section id="fixed">'));
  t.regex(output, /<tr class="finding new counts" data-class="err" data-status="new"[^>]*><td class="status"><span class="label label-new">new<\/span>/);
  t.true(output.includes('<section id="fixed">'));
  t.regex(output, /<tr class="finding fixed counts" data-class="err"/);
  t.regex(output, /<tr class="finding pre-existing" data-class="staging"/);
  t.true(output.includes('<input type="checkbox" value="err" checked>'));
  t.true(output.includes('<input type="checkbox" value="" checked> (no class)'));
  t.true(output.includes(`Checked <code>${'c'.repeat(40)}</code>`), 'the full commit id');
  t.regex(output, /<h2>New problems <span class="muted">\(1\)<\/span><\/h2>/);
  t.regex(output, /<h2>Already present before this PR <span class="muted">\(7\)<\/span><\/h2>/);
  t.false(output.includes('j-1'), 'no internal id on the page');
});

test('everything from pkgcheck is HTML-escaped, in text and in attributes', (t) => {
  const evil = `</td><script>alert(1)</script><img src=x onerror="alert(2)"> 'q'`;
  const { output } = runQaDiff({
    baseText: '',
    headText: [line('dev-libs', 'fo"o><script>x()</script>', '0', 'Bad<b>Kw', evil), line('c"at', 'p', '1', 'K', 'm')].join('\n'),
    format: 'html',
    title: '<i>title</i>',
    reportUrl: 'javascript:alert(3)',
  });
  const scripts = output.match(/<script>/g) ?? [];
  t.is(scripts.length, 1, 'only the page script');
  t.false(output.includes('<img'));
  t.false(output.includes('<b>'));
  t.false(output.includes('<i>'));
  t.false(output.includes('javascript:alert(3)'));
  t.true(output.includes(escapeHtml(evil)));
  t.true(output.includes('id="pkg-dev-libs/fo&#34;o&#62;&#60;script&#62;x()&#60;/script&#62;"'));
  t.true(output.includes('data-category="c&#34;at"'));
});

test('unreadable lines and reporter mismatches are shown', (t) => {
  const { output, verdict } = runQaDiff({
    baseText: fixture('reporter-formats', 'JsonStream.jsonl'),
    headText: fixture('reporter-formats', 'XmlReporter.xml').replace('</checks>', '<result><class>Broken\n</checks>'),
    format: 'html',
  });
  t.is(verdict.status, 'error');
  t.true(output.includes('<section id="problems">'));
  t.true(output.includes('head line 10: &#60;result&#62; without a closing &#60;/result&#62;'));
  t.true(output.includes('base is JsonStream output but head is XmlReporter output'));
});

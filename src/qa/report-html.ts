/**
 * The full report: one standalone HTML page (inline CSS and JS, no external
 * resource, a CSP that forbids loading any), with new, fixed and pre-existing
 * sections, each grouped by category and package, a filter by keyword class,
 * and new findings marked (CSS class `new` and a "new" label). Each package
 * has one anchor, `id="pkg-<category>/<package>"`, on its first heading in the
 * page (new findings come first). Everything is HTML-escaped.
 */
import type { DiffEntry, FindingStatus } from './diff.ts';
import { escapeHtml as h } from './escape.ts';
import { entryPlace, groupEntries } from './grouping.ts';
import { isHttpUrl, shortSha, type QaReport } from './report-model.ts';

const CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --new: #fff1e5; --err: #cf222e; --ok: #1a7f37; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --new: #3b2300; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 80rem; padding: 1rem 1.5rem 3rem; font: 14px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
h1 { font-size: 1.5rem; margin: .5rem 0; }
h1.success { color: var(--ok); } h1.failure { color: var(--err); } h1.error { color: var(--warn); }
h2 { border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 2rem; }
h3 { margin: 1.2rem 0 .3rem; font-size: 1.1rem; }
h4 { margin: .8rem 0 .2rem; font-size: 1rem; }
.meta, .muted { color: var(--muted); }
code { font-family: ui-monospace, monospace; font-size: .92em; }
table { border-collapse: collapse; width: 100%; }
td { border-top: 1px solid var(--line); padding: .2rem .5rem; vertical-align: top; }
td.kw { white-space: nowrap; } td.place { white-space: nowrap; color: var(--muted); } td.msg { word-break: break-word; }
tr.new { background: var(--new); }
.label { display: inline-block; border-radius: .6rem; padding: 0 .45rem; font-size: .8em; font-weight: 600; border: 1px solid currentColor; }
.label-new { color: var(--err); } .label-fixed { color: var(--ok); } .label-pre-existing { color: var(--muted); }
.label-counts { color: #fff; background: var(--err); border-color: var(--err); }
.label-excluded { color: var(--muted); font-weight: normal; }
.cls { color: var(--muted); font-size: .85em; }
#class-filter { border: 1px solid var(--line); border-radius: .4rem; padding: .4rem .8rem; margin: 1rem 0; }
#class-filter label { margin-right: 1rem; white-space: nowrap; }
ul.problems li, ul.warnings li { font-family: ui-monospace, monospace; }
[hidden] { display: none !important; }
`;

const JS = `
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#class-filter input[type=checkbox]'));
  function apply() {
    var shown = {};
    boxes.forEach(function (b) { shown[b.value] = b.checked; });
    Array.prototype.forEach.call(document.querySelectorAll('tr.finding'), function (row) {
      row.hidden = !shown[row.getAttribute('data-class')];
    });
    Array.prototype.forEach.call(document.querySelectorAll('.package, .category'), function (group) {
      group.hidden = !group.querySelector('tr.finding:not([hidden])');
    });
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  apply();
})();
`;

const LABEL: Record<FindingStatus, string> = { new: 'new', fixed: 'fixed', 'pre-existing': 'pre-existing', 'carried-over': 'carried over' };

function row(e: DiffEntry): string {
  const classes = ['finding', e.status];
  if (e.counts) classes.push('counts');
  if (e.excluded) classes.push('excluded');
  const badges = [`<span class="label label-${e.status}">${LABEL[e.status]}</span>`];
  if (e.counts) badges.push('<span class="label label-counts">counts</span>');
  if (e.excluded) badges.push('<span class="label label-excluded">excluded</span>');
  const cls = e.class === '' ? 'no class' : e.class;
  return (
    `<tr class="${classes.join(' ')}" data-class="${h(e.class)}" data-status="${e.status}" data-key="${h(e.key)}">` +
    `<td class="status">${badges.join(' ')}</td>` +
    `<td class="kw"><code>${h(e.keyword)}</code> <span class="cls">${h(cls)}</span></td>` +
    `<td class="place">${h(entryPlace(e))}</td>` +
    `<td class="msg">${e.carriedFrom !== undefined ? `<strong>carried over from ${h(e.carriedFrom)}</strong>: ` : ''}${h(e.message)}</td></tr>`
  );
}

function section(id: string, title: string, entries: readonly DiffEntry[], anchors: Set<string>): string {
  const counting = entries.filter((e) => e.counts).length;
  let out = `<section id="${id}"><h2>${h(title)} <span class="muted">(${entries.length}${counting > 0 ? `, ${counting} counting` : ''})</span></h2>`;
  if (entries.length === 0) return `${out}<p class="muted">None.</p></section>`;
  for (const cat of groupEntries(entries)) {
    out += `<div class="category" data-category="${h(cat.category)}"><h3>${cat.category === '' ? 'Repository' : h(cat.category)}</h3>`;
    for (const pkg of cat.packages) {
      const first = !anchors.has(pkg.anchor);
      anchors.add(pkg.anchor);
      const idAttr = first ? ` id="${h(pkg.anchor)}"` : '';
      const label = pkg.name === '' ? 'repository-level' : pkg.package === undefined ? `${pkg.name} (category)` : pkg.name;
      out += `<div class="package"${idAttr} data-package="${h(pkg.name)}"><h4><a href="#${h(encodeURI(pkg.anchor))}">${h(label)}</a></h4><table><tbody>`;
      out += pkg.entries.map(row).join('');
      out += '</tbody></table></div>';
    }
    out += '</div>';
  }
  return `${out}</section>`;
}

export function renderHtml(report: QaReport): string {
  const { verdict, diff, meta = {} } = report;
  const title = meta.title ?? 'refci QA';
  const all = [...diff.new, ...diff.carriedOver, ...diff.fixed, ...diff.preExisting];
  const classCount = new Map<string, number>();
  for (const e of all) classCount.set(e.class, (classCount.get(e.class) ?? 0) + 1);
  const order = ['err', 'warn', 'staging', 'verbose'];
  const classes = [...classCount.keys()].sort((a, b) => {
    const ia = order.indexOf(a) < 0 ? (a === '' ? 99 : 50) : order.indexOf(a);
    const ib = order.indexOf(b) < 0 ? (b === '' ? 99 : 50) : order.indexOf(b);
    return ia - ib || (a < b ? -1 : a > b ? 1 : 0);
  });

  const facts: string[] = [];
  if (meta.headSha) facts.push(`checked <code>${h(shortSha(meta.headSha))}</code>`);
  if (meta.baseSha) facts.push(`against base <code>${h(shortSha(meta.baseSha))}</code>`);
  if (meta.jobId) facts.push(`job <code>${h(meta.jobId)}</code>`);
  if (report.formats) facts.push(`formats ${h(report.formats.base)} / ${h(report.formats.head)}`);
  if (isHttpUrl(meta.reportUrl)) facts.push(`<a href="${h(meta.reportUrl)}">published copy</a>`);

  const newIndex = groupEntries(diff.new)
    .flatMap((c) => c.packages)
    .map((p) => `<li><a href="#${h(encodeURI(p.anchor))}">${p.name === '' ? 'repository-level' : h(p.name)}</a> (${p.entries.length})</li>`)
    .join('');

  const problems = [
    ...(report.problems?.base ?? []).map((p) => ({ ...p, side: 'base' })),
    ...(report.problems?.head ?? []).map((p) => ({ ...p, side: 'head' })),
  ];

  const anchors = new Set<string>();
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(`${title}: ${verdict.status}`)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<header><h1 class="${verdict.status}" id="verdict">${h(title)}: ${verdict.status}</h1>`,
    `<p id="reason">${h(verdict.reason)}</p>`,
    facts.length > 0 ? `<p class="meta">${facts.join(' · ')}</p>` : '',
    `<p class="meta">${diff.new.length} new · ${diff.carriedOver.length} carried over · ${diff.fixed.length} fixed · ${diff.preExisting.length} pre-existing</p>`,
    newIndex ? `<nav><strong>New findings in:</strong><ul>${newIndex}</ul></nav>` : '',
    '</header>',
    diff.warnings.length > 0 ? `<ul class="warnings">${diff.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>` : '',
    problems.length > 0
      ? `<section id="problems"><h2>Unreadable pkgcheck output (${problems.length})</h2><ul class="problems">${problems
          .map((p) => `<li>${p.side} line ${p.line}: ${h(p.message)}: <code>${h(p.text)}</code></li>`)
          .join('')}</ul></section>`
      : '',
    `<fieldset id="class-filter"><legend>Show keyword classes</legend>${classes
      .map((c) => `<label><input type="checkbox" value="${h(c)}" checked> ${c === '' ? '(no class)' : h(c)} (${classCount.get(c)})</label>`)
      .join('')}</fieldset>`,
    section('new', 'New findings', diff.new, anchors),
    section('carried-over', 'Carried over from older versions', diff.carriedOver, anchors),
    section('fixed', 'Fixed', diff.fixed, anchors),
    section('pre-existing', 'Pre-existing', diff.preExisting, anchors),
    `<script>${JS}</script>`,
    '</body></html>',
  ];
  return `${parts.filter(Boolean).join('\n')}\n`;
}

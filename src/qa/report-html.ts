/**
 * The full report: one standalone HTML page (inline CSS and JS, no external
 * resource, a CSP that forbids loading any), with the sections of the comment
 * (New problems, Carried over, Fixed, Already present before this PR, the last
 * with the count in the packages the pull request touches), each grouped by
 * category and package, a filter by keyword class, and new findings marked
 * (CSS class `new` and a "new" label). Each package has one anchor,
 * `id="pkg-<category>/<package>"`, on its first heading in the page (new
 * findings come first). The commits checked (full ids), the time, the tool
 * versions and the pull request are in the header. Everything is HTML-escaped.
 */
import type { DiffEntry, FindingStatus } from './diff.ts';
import { escapeHtml as h } from './escape.ts';
import { entryPlace, groupEntries } from './grouping.ts';
import { headingText, isHttpUrl, preExistingTouched, type QaReport } from './report-model.ts';
import { STATUS_ICON } from './report-facts.ts';

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

const LABEL: Record<FindingStatus, string> = { new: 'new', fixed: 'fixed', 'pre-existing': 'already present', 'carried-over': 'carried over' };

function row(e: DiffEntry): string {
  const classes = ['finding', e.status];
  if (e.counts) classes.push('counts');
  if (e.excluded) classes.push('excluded');
  const badges = [`<span class="label label-${e.status}">${LABEL[e.status]}</span>`];
  if (e.counts && e.status !== 'pre-existing') badges.push(`<span class="label label-counts">${e.status === 'fixed' ? 'failed the check' : 'fails the check'}</span>`);
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

function section(id: string, title: string, entries: readonly DiffEntry[], anchors: Set<string>, counts = `${entries.length}`): string {
  let out = `<section id="${id}"><h2>${h(title)} <span class="muted">(${h(counts)})</span></h2>`;
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
  const title = meta.title ? `${meta.title}: ` : '';
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
  if (meta.headSha) {
    let checked = `Checked <code>${h(meta.headSha)}</code>`;
    if (meta.baseSha) checked += ` merged onto <code>${h(meta.baseSha)}</code>`;
    if (meta.baseRef) checked += ` (${h(meta.baseRef.replace(/^refs\/heads\//, ''))})`;
    facts.push(checked);
  }
  if (meta.checkedAt) {
    const ms = Date.parse(meta.checkedAt);
    facts.push(`on ${h(Number.isNaN(ms) ? meta.checkedAt : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`)}`);
  }
  const tools = Object.entries(meta.tools ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (tools.length > 0) facts.push(`with ${tools.map(([name, version]) => `${h(name)} ${h(version)}`).join(', ')}`);
  if (meta.scope) facts.push(`<span id="scope">· scanned ${h(meta.scope)}</span>`);
  if (meta.baseScan) facts.push(`<span id="base-scan">· base scan: ${h(meta.baseScan)}</span>`);
  const links: string[] = [];
  if (isHttpUrl(meta.prUrl)) links.push(`<a href="${h(meta.prUrl)}">pull request${meta.pr !== undefined ? ` #${meta.pr}` : ''}</a>`);
  if (isHttpUrl(meta.reportUrl)) links.push(`<a href="${h(meta.reportUrl)}">published copy</a>`);
  const touched = preExistingTouched(report);
  const beforeCounts = `${diff.preExisting.length}${touched ? `, in packages you touched: ${touched.length}` : ''}`;

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
    `<title>${h(`${title}${headingText(report)}`)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<header><h1 class="${verdict.status}" id="verdict">${STATUS_ICON[verdict.status]} ${h(title)}${h(headingText(report))}</h1>`,
    `<p id="reason">${h(verdict.reason)}</p>`,
    facts.length > 0 ? `<p class="meta">${facts.join(' ')}</p>` : '',
    links.length > 0 ? `<p class="meta">${links.join(' · ')}</p>` : '',
    `<p class="meta">${diff.new.length} new · ${diff.carriedOver.length} carried over · ${diff.fixed.length} fixed · ${diff.preExisting.length} already present before this pull request</p>`,
    newIndex ? `<nav><strong>New problems in:</strong><ul>${newIndex}</ul></nav>` : '',
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
    section('new', 'New problems', diff.new, anchors),
    section('carried-over', 'Carried over from older versions', diff.carriedOver, anchors),
    section('fixed', 'Fixed', diff.fixed, anchors),
    section('pre-existing', 'Already present before this PR', diff.preExisting, anchors, beforeCounts),
    report.formats ? `<p class="muted">pkgcheck output read: ${h(report.formats.base)} (base), ${h(report.formats.head)} (head)</p>` : '',
    `<script>${JS}</script>`,
    '</body></html>',
  ];
  return `${parts.filter(Boolean).join('\n')}\n`;
}

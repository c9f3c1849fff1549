/**
 * The HTML report of a run without a QA report (a pipeline that failed or did
 * not finish, a kind without a decider): the heading and reason, the step
 * table with each step's log linked (`logs/<step>.log` beside the report), the
 * failed step's last lines, and the facts of the check. One standalone page
 * with inline CSS and a CSP that loads nothing; everything is escaped; it
 * reads at phone width as well as on a desktop. Pure.
 */
import type { ResultRecord } from '../protocol/result.ts';
import { escapeHtml as h } from '../qa/escape.ts';
import { STATUS_ICON, type CheckFacts, type CheckStatus } from '../qa/report-facts.ts';
import { logFileOf, stepOutcomeText, type LogExcerpt } from './step-logs.ts';

const CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --code: #f6f8fa; --err: #cf222e; --ok: #1a7f37; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --code: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 80rem; padding: 1rem 1rem 3rem; font: 14px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); overflow-wrap: anywhere; }
h1 { font-size: 1.4rem; margin: .5rem 0; } h1.success { color: var(--ok); } h1.failure { color: var(--err); } h1.error { color: var(--warn); }
h2 { font-size: 1.1rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 1.5rem; }
.meta { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
pre { background: var(--code); padding: .75rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.4 ui-monospace, monospace; }
`;

const HEADINGS: Record<CheckStatus, string> = {
  success: 'The check passed',
  failure: 'The check failed',
  error: 'The check could not be completed',
};

/** `result` may be only a status and reason (a job cancelled before it ran, a result that cannot be read). */
export function plainHtmlReport(result: Pick<ResultRecord, 'status' | 'reason'> & { steps?: ResultRecord['steps'] }, facts: CheckFacts, excerpt?: LogExcerpt): string {
  const status: CheckStatus = result.status === 'cancelled' ? 'error' : result.status;
  const heading = result.status === 'cancelled' ? 'The check was stopped' : HEADINGS[status];
  const rows = (result.steps ?? [])
    .map((step) => {
      const file = logFileOf(step);
      const log = file ? `<a href="${h(file)}">log</a>` : '';
      return `<tr><td>${h(step.name)}</td><td>${h(stepOutcomeText(step))}</td><td>${(step.durationMs / 1000).toFixed(1)}s</td><td>${log}</td></tr>`;
    })
    .join('');
  const factLines: string[] = [];
  if (facts.headSha) factLines.push(`Checked <code>${h(facts.headSha)}</code>${facts.baseSha ? ` merged onto <code>${h(facts.baseSha)}</code>` : ''}`);
  if (facts.checkedAt) factLines.push(`on ${h(facts.checkedAt.slice(0, 16).replace('T', ' '))} UTC`);
  const tools = Object.entries(facts.tools ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  if (tools.length) factLines.push(`with ${tools.map(([name, version]) => `${h(name)} ${h(version)}`).join(', ')}`);
  if (facts.scope) factLines.push(`· scanned ${h(facts.scope)}`);
  if (facts.baseScan) factLines.push(`· base scan: ${h(facts.baseScan)}`);
  const prLink = facts.prUrl && /^https?:\/\//.test(facts.prUrl) ? `<p class="meta"><a href="${h(facts.prUrl)}">pull request${facts.pr !== undefined ? ` #${facts.pr}` : ''}</a></p>` : '';
  const shown = excerpt && (excerpt.lines.length < excerpt.total ? `last ${excerpt.lines.length} of ${excerpt.total} lines` : `${excerpt.total} line${excerpt.total === 1 ? '' : 's'}`);
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(heading)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1 class="${status}" id="verdict">${STATUS_ICON[status]} ${h(heading)}</h1>`,
    `<p id="reason">${h(result.reason)}</p>`,
    factLines.length ? `<p class="meta">${factLines.join(' ')}</p>` : '',
    prLink,
    excerpt
      ? `<section id="excerpt"><h2>Log of ${h(excerpt.step)}: ${h(shown ?? '')}</h2><pre>${h(excerpt.lines.join('\n'))}</pre>${excerpt.file ? `<p><a href="${h(excerpt.file)}">The whole log</a></p>` : ''}</section>`
      : '',
    rows ? `<section id="steps"><h2>Steps</h2><table><thead><tr><th>Step</th><th>Result</th><th>Time</th><th></th></tr></thead><tbody>${rows}</tbody></table></section>` : '',
    '</body></html>',
  ];
  return `${parts.filter(Boolean).join('\n')}\n`;
}

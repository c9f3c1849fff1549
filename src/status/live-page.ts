/**
 * A running job's page at the address its report will have
 * (`<out>/<job>/report.html`): who runs it, for how long, and the latest
 * lines of its log as the last heartbeat carried them. The forge's "running
 * on <worker>" status links here; the report replaces the page when the job
 * ends. It reloads itself every 30 seconds (a meta refresh: no script, a CSP
 * that loads nothing). Everything is escaped. Pure.
 */
import { escapeHtml as h } from '../qa/escape.ts';
import { formatDuration } from '../protocol/duration.ts';
import type { RunningRow } from './report.ts';

export function livePage(row: RunningRow, tail?: { step: string; lines: string[] }): string {
  const who = row.worker ? `Running on ${row.worker}${row.attempt && row.attempt > 1 ? `, attempt ${row.attempt}` : ''}` : 'Running';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(`${who}: ${row.id}`)}</title>
<style>
:root { color-scheme: light dark; }
body { margin: 0 auto; max-width: 80rem; padding: 1rem; font: 14px/1.45 system-ui, sans-serif; overflow-wrap: anywhere; }
pre { padding: .75rem; overflow-x: auto; white-space: pre-wrap; font: 12px/1.4 ui-monospace, monospace; border: 1px solid #8884; }
.meta { opacity: .75; }
</style></head><body>
<h1 id="verdict">⏳ ${h(who)}</h1>
<p class="meta"><code>${h(row.id)}</code>${row.pr ? ` · pull request #${row.pr}` : ''}${row.elapsedSec !== undefined ? ` · for ${h(formatDuration(row.elapsedSec))}` : ''}. This page shows the check while it runs and becomes its report when it ends.</p>
${tail ? `<h2>${h(tail.step)}, as of the last heartbeat</h2>\n<pre id="live-log">${h(tail.lines.join('\n'))}</pre>` : '<p>No log lines yet.</p>'}
</body></html>
`;
}

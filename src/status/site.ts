import type { Summary } from '../protocol/history.ts';
import { formatDuration } from '../protocol/duration.ts';
import { escapeHtml } from '../qa/escape.ts';
import { lines, stackedBars } from './charts.ts';
import type { HourBucket } from './hourly.ts';
import { shortVersion, type StatusReport } from './report.ts';

export interface SiteInput {
  report: StatusReport;
  hours: HourBucket[];
  throughput: { worker: string; jobs: number }[];
  /** Archived jobs, newest first. */
  recent: Summary[];
  /** The link of a job's report, relative to the site (the collector's --out folder holds `<job>/report.*`). */
  reportLink: (summary: Summary) => string | undefined;
  /** The end of the newest step's live log of running jobs, by job id (from their lock chains' heartbeats). */
  liveTails?: Record<string, { step: string; lines: string[] }>;
}

const e = escapeHtml;
const hourLabel = (iso: string) => iso.slice(11, 13) + 'h';
const pr = (n: number | undefined) => (n ? `#${n}` : '–');

function table(caption: string, header: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<section><h2>${e(caption)}</h2><p class="empty">${e(empty)}</p></section>`;
  const head = header.map((h) => `<th scope="col">${e(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<section><h2>${e(caption)}</h2><div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div></section>`;
}

/**
 * The status site's one page: queue in claim order, running jobs, workers,
 * recent verdicts and the charts. Plain HTML and CSS, no script; reads well at
 * 390 px and on a desktop, in light and dark mode.
 */
export function renderSite(input: SiteInput): string {
  const { report, hours } = input;
  const labels = hours.map((bucket) => hourLabel(bucket.hour));
  const queue = table(
    `Queue (${report.queue.length}), in claim order`,
    ['#', 'job', 'PR', 'pipeline', 'priority', 'waiting', 'note'],
    report.queue.map((q, index) => [String(index + 1), `<code>${e(q.id)}</code>`, e(pr(q.pr)), e(q.pipeline ?? '–'), String(q.priority), e(formatDuration(q.waitingSec)), e(q.note ?? '')]),
    'Nothing is waiting.',
  );
  const running = table(
    `Running (${report.running.length})`,
    ['job', 'PR', 'pipeline', 'worker', 'attempt', 'elapsed', 'state'],
    report.running.map((r) => [`<code>${e(r.id)}</code>`, e(pr(r.pr)), e(r.pipeline ?? '–'), e(r.worker ?? '–'), e(String(r.attempt ?? '–')), e(formatDuration(r.elapsedSec)), e(r.state)]),
    'No job is running.',
  );
  const workers = table(
    `Workers (${report.workers.length})`,
    ['worker', 'state', 'pipelines', 'tools', 'last seen', 'why not claiming'],
    report.workers.map((w) => [
      `<code>${e(w.id)}</code>`,
      e(w.state) + (w.drainReason ? ` <span class="note">(${e(w.drainReason)})</span>` : ''),
      e(w.pipelines.join(', ') || '–'),
      e(Object.entries(w.tools).map(([tool, version]) => `${tool} ${shortVersion(version)}`).join(', ') || '–'),
      e(w.lastSeenSec === undefined ? '–' : `${formatDuration(w.lastSeenSec)} ago`),
      e(Object.entries(w.blocked).map(([pipeline, why]) => `${pipeline}: ${why}`).join('; ') || w.problem || ''),
    ]),
    'No worker has announced itself.',
  );
  const verdicts = table(
    'Recent verdicts',
    ['finished', 'job', 'verdict', 'PR', 'worker', 'reason'],
    input.recent.map((s) => {
      const link = input.reportLink(s);
      const job = link ? `<a href="${e(link)}"><code>${e(s.job)}</code></a>` : `<code>${e(s.job)}</code>`;
      return [e((s.finishedAt ?? s.archivedAt).replace('T', ' ').slice(0, 16)), job, `<span class="v-${e(s.verdict)}">${e(s.verdict)}</span>`, e(pr(s.pr)), e(s.worker ?? '–'), e(s.reason)];
    }),
    'No job has finished yet.',
  );
  const perHour = stackedBars(
    'Jobs per hour by verdict',
    labels,
    (['success', 'failure', 'error', 'cancelled'] as const).map((verdict) => ({ name: verdict, colour: `var(--${verdict})`, values: hours.map((b) => b.verdicts[verdict]) })),
  );
  const waits = lines('Queue wait per hour (median and 90th percentile)', labels, [
    { name: 'median', colour: 'var(--line1)', values: hours.map((b) => (b.waitP50 ?? NaN) / 60) },
    { name: '90th percentile', colour: 'var(--line2)', values: hours.map((b) => (b.waitP90 ?? NaN) / 60) },
  ], 'm');
  const runs = lines('Run time per hour (median and 90th percentile)', labels, [
    { name: 'median', colour: 'var(--line1)', values: hours.map((b) => (b.runP50 ?? NaN) / 60) },
    { name: '90th percentile', colour: 'var(--line2)', values: hours.map((b) => (b.runP90 ?? NaN) / 60) },
  ], 'm');
  const throughput = table(
    `Jobs per worker, last ${hours.length} hours`,
    ['worker', 'jobs'],
    input.throughput.map((t) => [`<code>${e(t.worker)}</code>`, `<span class="bar" style="--n:${t.jobs / Math.max(1, input.throughput[0]?.jobs ?? 1)}">${t.jobs}</span>`]),
    'No job has finished in this window.',
  );
  const counts = Object.entries(report.counts).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ') || 'no live jobs';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>refci status</title>
<style>
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #57606a; --grid: #d0d7de; --success: #1a7f37; --failure: #cf222e; --error: #9a6700; --cancelled: #8c959f; --line1: #0969da; --line2: #bc4c00; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #8d96a0; --grid: #30363d; --success: #3fb950; --failure: #f85149; --error: #d29922; --cancelled: #6e7681; --line1: #58a6ff; --line2: #f0883e; } }
body { background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.meta, .empty, .note { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--grid); vertical-align: top; }
td { overflow-wrap: break-word; } code { font-size: .9em; white-space: nowrap; }
.chart { width: 100%; height: auto; } .chart text { fill: var(--muted); font-size: 20px; } figure { margin: 0; } figcaption { font-weight: 600; } .chart .grid { stroke: var(--grid); }
.charts { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); }
.v-success { color: var(--success); } .v-failure { color: var(--failure); } .v-error { color: var(--error); } .v-cancelled { color: var(--cancelled); }
.bar { display: inline-block; min-width: 2ch; background: linear-gradient(90deg, var(--line1) calc(var(--n) * 100%), transparent 0); color: var(--bg); padding: 0 .3rem; width: 12rem; }
.legend span { margin-right: 1rem; } .legend i { display: inline-block; width: .8em; height: .8em; margin-right: .3em; }
</style>
</head>
<body>
<header><h1>refci status</h1><p class="meta">Built ${e(report.at.replace('T', ' ').slice(0, 19))} UTC from the coordination repository; configuration ${e(report.configCommit?.slice(0, 12) ?? 'built-in defaults')}. Live jobs: ${e(counts)}.</p></header>
<main>
${queue}
${running}
${liveTails(input.liveTails ?? {})}
${workers}
<section><h2>The last ${hours.length} hours</h2>
<p class="legend">${(['success', 'failure', 'error', 'cancelled'] as const).map((v) => `<span><i style="background:var(--${v})"></i>${v}</span>`).join('')}</p>
<div class="charts">
<figure><figcaption>Jobs per hour by verdict</figcaption>${perHour}</figure>
<figure><figcaption>Queue wait, median and 90th percentile (minutes)</figcaption>${waits}</figure>
<figure><figcaption>Run time, median and 90th percentile (minutes)</figcaption>${runs}</figure>
</div>
</section>
${throughput}
${verdicts}
</main>
</body>
</html>
`;
}

/** Each running job's latest log lines, as its last heartbeat carried them: collapsed, escaped. */
function liveTails(tails: Record<string, { step: string; lines: string[] }>): string {
  const entries = Object.entries(tails);
  if (entries.length === 0) return '';
  const blocks = entries.map(
    ([id, tail]) => `<details class="live-log" data-job="${e(id)}" open><summary><code>${e(id)}</code> · ${e(tail.step)}, as of its last heartbeat</summary><pre>${e(tail.lines.join('\n'))}</pre></details>`,
  );
  return `<section id="live-logs"><h2>Running jobs' logs</h2>${blocks.join('\n')}</section>`;
}

import fs from 'node:fs';
import path from 'node:path';
import { livePage } from '../status/live-page.ts';
import type { CoordClone } from '../coord/clone.ts';
import { readLiveLogs } from '../coord/job-logs.ts';
import { writeFileAtomically } from '../coord/state-file.ts';
import { readStatusInput } from '../coord/status-input.ts';
import { lockRef } from '../protocol/refs.ts';
import { scrubSecrets } from '../protocol/scrub.ts';
import { hourlyBuckets, throughputByWorker } from '../status/hourly.ts';
import { buildStatus } from '../status/report.ts';
import { renderSite } from '../status/site.ts';

/** Archived jobs read: the site shows a window, never all history. */
const HISTORY_LIMIT = 5000;
const RECENT = 50;
/** A job id that is safe as a folder name (ids are checked where read; checked again before a write). */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Writes the status site (index.html and status.json) into `out` from what
 * the clone fetches now: `refci site`, and the collector after each round
 * when given --site. Returns the page's path.
 */
export async function writeStatusSite(clone: CoordClone, out: string, hours: number, nowMs: number): Promise<string> {
  const input = await readStatusInput(clone, nowMs, HISTORY_LIMIT);
  const { history } = input;
  const report = buildStatus({ ...input, windowHours: hours });
  const buckets = hourlyBuckets(history, nowMs, hours);
  const throughput = throughputByWorker(history, nowMs, hours);
  const recent = history.slice(0, RECENT);
  const reportLink = (summary: (typeof history)[number]) =>
    summary.reports.includes('report.html') ? `${summary.job}/report.html` : summary.reports.includes('report.md') ? `${summary.job}/report.md` : undefined;
  const liveTails = await runningTails(clone, report.running.map((r) => r.id));
  writeFileAtomically(path.join(out, 'status.json'), `${JSON.stringify({ report, hours: buckets, throughput, recent }, null, 2)}\n`);
  writeFileAtomically(path.join(out, 'index.html'), renderSite({ report, hours: buckets, throughput, recent, reportLink, liveTails }));
  // Each running job's page where its report will be: the forge's "running" status links there.
  for (const row of report.running) {
    const folder = path.join(out, row.id);
    if (!JOB_ID.test(row.id) || fs.existsSync(path.join(folder, 'summary.json'))) continue;
    fs.mkdirSync(folder, { recursive: true });
    writeFileAtomically(path.join(folder, 'report.html'), livePage(row, liveTails[row.id]));
  }
  return path.resolve(out, 'index.html');
}

/** Lines of a running job's live log the page shows; the worker keeps more (liveLogBytes). */
const TAIL_LINES = 20;

/** The newest step's live tail of each running job, read from its lock tip (scrubbed again: the page is public). */
async function runningTails(clone: CoordClone, ids: string[]): Promise<Record<string, { step: string; lines: string[] }>> {
  const tails: Record<string, { step: string; lines: string[] }> = {};
  for (const id of ids.slice(0, 50)) {
    const lockOid = await clone.ref(lockRef(id));
    const live = lockOid ? await readLiveLogs(clone, id, lockOid) : undefined;
    const newest = live?.steps.at(-1);
    if (!newest) continue;
    tails[id] = { step: newest.name, lines: scrubSecrets(newest.content.toString('utf8')).replace(/\n$/, '').split('\n').slice(-TAIL_LINES) };
  }
  return tails;
}

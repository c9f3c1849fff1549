import fs from 'node:fs';
import path from 'node:path';
import { attemptStarts } from '../../coord/attempt-starts.ts';
import { readDrains } from '../../coord/drain.ts';
import { readHistory } from '../../coord/history.ts';
import { readPresences } from '../../coord/presence.ts';
import { readSnapshot } from '../../coord/snapshot.ts';
import { CONFIG_REF, liveRefspecs } from '../../protocol/refs.ts';
import { hourlyBuckets, throughputByWorker } from '../../status/hourly.ts';
import { buildStatus } from '../../status/report.ts';
import { renderSite } from '../../status/site.ts';
import { integer, required, type Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

/** Archived jobs read: the site shows a window, never all history. */
const HISTORY_LIMIT = 5000;
const RECENT = 50;

/** Written beside each other and renamed into place, so a web server never serves half a page. */
function writeAtomically(dir: string, name: string, content: string): void {
  const file = path.join(dir, name);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content);
  fs.renameSync(temp, file);
}

export const siteCommand: Command = {
  usage: 'refci site --coord URL --out DIR [--hours N]',
  help: [
    ...coordHelp,
    '--out DIR           where index.html and status.json go (use the collector\'s --out folder: reports are linked as <job>/report.html)',
    '--hours N           window of the charts and the worker table (default 48)',
  ],
  options: { ...coordOptions, out: { type: 'string' }, hours: { type: 'string' } },
  async run(flags, _positionals, io) {
    const out = required(flags, 'out', 'site');
    const hours = integer(flags, 'hours', 'site') ?? 48;
    const context = hostContext(flags, io, 'site', 'status');
    const clone = await openClone(context);
    await clone.fetch(liveRefspecs({ history: true, workers: true, drain: true, config: true }));
    const snapshot = await readSnapshot(clone);
    const nowMs = context.clock.now();
    const history = await readHistory(clone, HISTORY_LIMIT);
    const report = buildStatus({
      snapshot,
      nowMs,
      presences: await readPresences(clone),
      drains: await readDrains(clone),
      history,
      attemptStarts: await attemptStarts(clone, snapshot),
      configCommit: await clone.ref(CONFIG_REF),
      windowHours: hours,
    });
    const buckets = hourlyBuckets(history, nowMs, hours);
    const throughput = throughputByWorker(history, nowMs, hours);
    const recent = history.slice(0, RECENT);
    const reportLink = (summary: (typeof history)[number]) =>
      summary.reports.includes('report.html') ? `${summary.job}/report.html` : summary.reports.includes('report.md') ? `${summary.job}/report.md` : undefined;
    fs.mkdirSync(out, { recursive: true });
    writeAtomically(out, 'status.json', `${JSON.stringify({ report, hours: buckets, throughput, recent }, null, 2)}\n`);
    writeAtomically(out, 'index.html', renderSite({ report, hours: buckets, throughput, recent, reportLink }));
    io.out(`status site written to ${path.resolve(out, 'index.html')}`);
    return 0;
  },
};

/**
 * The status site: built from a coordination repository with queued, running
 * and archived jobs and a worker, then opened in headless Chromium at phone
 * and desktop widths. Needs /usr/bin/chromium for the browser part (CI
 * installs it); that part is skipped with a message when it is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { chromium } from 'playwright-core';
import { main } from '../../src/cli/main.ts';
import { archiveJob } from '../../src/coord/archive.ts';
import { closeJob, closingResult } from '../../src/coord/close-job.ts';
import { writeRecord } from '../../src/coord/records.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { JOB, newJob, type JobDescriptor } from '../../src/protocol/job.ts';
import { LOCK } from '../../src/protocol/lock.ts';
import { PRESENCE } from '../../src/protocol/presence.ts';
import { jobRef, liveRefspecs, lockRef, workerRef } from '../../src/protocol/refs.ts';
import { hourlyBuckets } from '../../src/status/hourly.ts';
import { memoryCoord } from '../helpers/memory.ts';
import { tempDir } from '../helpers/temp.ts';

const CHROMIUM = '/usr/bin/chromium';
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

/** A coordination repository held in process, with queued, running and finished jobs and a worker's presence. */
async function fleet(t: ExecutionContext, dir: string) {
  const clock = { now: () => now };
  const { coord, clone } = await memoryCoord(t, dir, clock);
  const author = { name: 'test', email: 'test@refci.invalid', timeMs: now };
  const jobs: JobDescriptor[] = [];
  const push = async (job: JobDescriptor) => {
    const oid = await writeRecord(clone.gitdir, JOB, job, { parents: [], author });
    if (!(await clone.push([{ ref: jobRef(job.id), newOid: oid, expect: null }])).won) throw new Error('push');
    jobs.push(job);
    return oid;
  };
  const make = (pr: number, minutesAgo: number, priority = 0) =>
    newJob({ repo: 'https://example.org/r', base: 'a'.repeat(40), head: pr.toString(16).padStart(40, 'b'), pipeline: 'gentoo', pr, priority, createdAt: iso(now - minutesAgo * 60_000) });
  // Two archived jobs, one running, three queued (one with priority).
  for (const [pr, status] of [[1, 'success'], [2, 'failure']] as const) {
    const job = make(pr, 90);
    const oid = await push(job);
    const result = { ...closingResult(job.id, status, status === 'success' ? 'no new errors' : '1 new error: UnknownLicense (app-misc/x-1)', 'w1', 1, now - 30 * 60_000), startedAt: iso(now - 40 * 60_000) };
    await closeJob(clone, { result, artifacts: {}, parent: oid, actor: 'w1', clock });
    await clone.fetch(liveRefspecs({ history: true }));
    const live = (await readSnapshot(clone)).get(job.id)!;
    const summary = {
      version: 1 as const, job: job.id, verdict: status, reason: result.reason, pr, worker: 'w1', attempt: 1,
      enqueuedAt: job.createdAt, startedAt: result.startedAt, finishedAt: result.finishedAt, archivedAt: iso(now - 29 * 60_000), reports: ['report.html'],
    };
    if (!(await archiveJob(clone, live, summary, { 'report.html': '<p>report</p>' }, 'collector', clock)).won) throw new Error('archive');
  }
  const running = make(3, 20);
  const runningOid = await push(running);
  const lock = { version: 1 as const, job: running.id, event: 'claim' as const, worker: 'w1', host: 'h1', attempt: 1, leaseSec: 300, nonce: '0123456789abcdef', at: iso(now - 5 * 60_000), tools: {} };
  const claim = await writeRecord(clone.gitdir, LOCK, lock, { parents: [runningOid], author: { ...author, timeMs: now - 5 * 60_000 } });
  // Its heartbeat carries the live log of the step it runs, a token included by mistake.
  const tail = `${Array.from({ length: 30 }, (_, i) => `scan line ${i + 1}`).join('\n')}\nAuthorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789 <b>\n`;
  const index = { version: 1, steps: [{ name: 'scan-head', log: 'logs/scan-head.log', from: 0, to: Buffer.byteLength(tail), done: false }] };
  const heartbeat = await writeRecord(clone.gitdir, LOCK, { ...lock, event: 'heartbeat' as const, at: iso(now - 60_000) }, {
    parents: [claim],
    author,
    artifacts: { 'live-logs.json': JSON.stringify(index), 'logs/scan-head.log': tail },
  });
  await clone.push([{ ref: lockRef(running.id), newOid: heartbeat, expect: null }]);
  const queued = [make(4, 15), make(5, 10, 100), make(6, 5)];
  for (const job of queued) await push(job);
  const presence = {
    version: 1 as const, worker: 'w1', host: 'h1', kind: 'default', state: 'running' as const, at: iso(now - 60_000), pipelines: ['gentoo'],
    blocked: {}, tools: { pkgcheck: 'pkgcheck 0.10.30' }, job: null, seq: 1,
  };
  await clone.push([{ ref: workerRef('w1'), newOid: await writeRecord(clone.gitdir, PRESENCE, presence, { parents: [], author }), expect: null }]);
  return { coord, queued, running, jobs };
}

test('the hourly series puts each job in the hour it finished, empty hours included', (t) => {
  const hour = 3600_000;
  const base = Math.floor(now / hour) * hour;
  const summary = (finished: number, verdict: 'success' | 'failure') => ({
    version: 1 as const, job: `j${finished}`, verdict, reason: '', archivedAt: iso(finished), finishedAt: iso(finished), startedAt: iso(finished - 60_000), enqueuedAt: iso(finished - 180_000), reports: [],
  });
  const buckets = hourlyBuckets([summary(base + 10, 'success'), summary(base + 20, 'failure'), summary(base - 2 * hour + 5, 'success')], now, 4);
  t.is(buckets.length, 4);
  t.deepEqual(buckets.map((b) => b.verdicts.success + b.verdicts.failure), [0, 1, 0, 2]);
  t.is(buckets[3].waitP50, 120);
  t.is(buckets[3].runP50, 60);
  t.is(buckets[2].waitP50, undefined);
});

test('refci site writes one page and one JSON file: queue in claim order, running job, worker, verdicts with report links, charts', async (t) => {
  const dir = tempDir(t);
  const { coord, queued, running } = await fleet(t, dir);
  const out = path.join(dir, 'www');
  const lines: string[] = [];
  const code = await main(['site', '--coord', coord, '--state-dir', path.join(dir, 'state'), '--out', out, '--hours', '6'], {
    out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, isTTY: false,
  });
  t.is(code, 0, lines.join('\n'));
  const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
  const json = JSON.parse(fs.readFileSync(path.join(out, 'status.json'), 'utf8'));
  // Claim order: the priority job first, then the oldest.
  t.deepEqual(json.report.queue.map((q: { id: string }) => q.id), [queued[1].id, queued[0].id, queued[2].id]);
  t.true(html.indexOf(queued[1].id) < html.indexOf(queued[0].id) && html.indexOf(queued[0].id) < html.indexOf(queued[2].id));
  t.regex(html, new RegExp(`<code>${running.id}</code></td><td>#3</td><td>gentoo</td><td>w1</td><td>1</td><td>5m\\d\\ds</td>`));
  t.regex(html, /pkgcheck 0\.10\.30/);
  // The running job's log as of its last heartbeat: the last 20 lines, escaped, the token scrubbed.
  t.regex(html, new RegExp(`<details class="live-log" data-job="${running.id}" open><summary><code>${running.id}</code> · scan-head, as of its last heartbeat</summary><pre>scan line 12\n`));
  t.true(html.includes('scan line 30'));
  t.false(html.includes('scan line 11\n'));
  t.false(html.includes('ghp_abcdefghijklmnopqrstuvwxyz0123456789'));
  t.false(html.includes('<b>'));
  // Where its report will be, the running job has a live page (the forge's "running" status links there).
  const live = fs.readFileSync(path.join(out, running.id, 'report.html'), 'utf8');
  t.regex(live, /<h1 id="verdict">⏳ Running on w1<\/h1>/);
  t.regex(live, /<pre id="live-log">scan line 12\n/);
  t.regex(live, /http-equiv="refresh" content="30"/);
  t.false(live.includes('ghp_abcdefghijklmnopqrstuvwxyz0123456789'));
  t.is(json.hours.length, 6);
  t.is(json.throughput[0].worker, 'w1');
  t.is(json.throughput[0].jobs, 2);
  t.regex(html, /<svg viewBox="[^"]+" role="img" aria-labelledby="[^"]+" class="chart"><title id="[^"]+">Jobs per hour by verdict<\/title><desc id="[^"]+">2 jobs in 6 hours; success 1, failure 1, error 0, cancelled 0<\/desc>/);
  t.regex(html, /Queue wait per hour/);
  const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
  t.is(links.length, 2);
  for (const link of links) t.regex(link, /^pr[12]-[0-9a-f]+\/report\.html$/);
  t.notRegex(html, /<script/);

  if (!fs.existsSync(CHROMIUM)) {
    t.log(`browser part skipped: ${CHROMIUM} is not installed (apt-get install -y chromium)`);
    return;
  }
  // The collector's --out folder would hold the reports the links name.
  for (const link of links) {
    fs.mkdirSync(path.join(out, path.dirname(link)), { recursive: true });
    fs.writeFileSync(path.join(out, link), '<p>report</p>');
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  for (const [width, name] of [[390, 'phone'], [1280, 'desktop']] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: scheme });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(path.join(out, 'index.html')).href);
      t.deepEqual(requests, [pathToFileURL(path.join(out, 'index.html')).href], 'nothing but the page is loaded');
      // Nothing wider than the screen but the tables' own scroll boxes.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      t.true(overflow <= 0, `${name} ${scheme}: the page scrolls sideways by ${overflow}px`);
      t.is(await page.locator('svg[role=img]').count(), 3);
      t.is(await page.locator('svg title').first().textContent(), 'Jobs per hour by verdict');
      const queueRows = await page.locator('section:has(h2:has-text("Queue")) tbody tr').count();
      t.is(queueRows, 3);
      for (const link of await page.locator('a[href]').all()) {
        const href = await link.getAttribute('href');
        t.true(fs.existsSync(path.join(out, href!)), `${href} resolves to a file`);
      }
      await page.screenshot({ path: path.join(dir, `site-${name}-${scheme}.png`), fullPage: true });
      if (process.env.REFCI_SCREENSHOTS) fs.copyFileSync(path.join(dir, `site-${name}-${scheme}.png`), path.join(process.env.REFCI_SCREENSHOTS, `site-${name}-${scheme}.png`));
      await page.close();
    }
  }
});

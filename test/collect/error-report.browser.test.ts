/**
 * Reports in a real browser at a phone's width and a desktop's: the error
 * report shows the failed step's last lines and links its log, and neither it
 * nor the QA report scrolls sideways (long messages and log lines wrap).
 * Needs Debian's chromium at /usr/bin/chromium (CI installs it); skipped with
 * a message when absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { chromium } from 'playwright-core';
import { plainHtmlReport } from '../../src/collect/plain-html.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { runQaDiff } from '../../src/qa/run.ts';
import { tempDir } from '../helpers/temp.ts';

const CHROMIUM = '/usr/bin/chromium';
const title = 'error and QA reports in Chromium at 390 px and 1280 px: the excerpt is shown, nothing scrolls sideways';

const longLine = `app-misc/broken-1: die: ${'x'.repeat(400)}`;

if (!fs.existsSync(CHROMIUM)) {
  test.skip(`${title} (skipped: ${CHROMIUM} is not installed; apt-get install -y chromium)`, () => {});
} else {
  test(title, async (t) => {
    const dir = tempDir(t);
    const result = {
      ...closingResult('j1', 'error', `step regen exited with 1: ${longLine}`, 'w1', 1, 0),
      steps: [{ name: 'regen', argv: ['pmaint'], exitCode: 1, signal: null, timedOut: false, cancelled: false, durationMs: 900, log: 'logs/regen.log', logBytes: 10, logTruncated: false, sandboxed: true }],
    };
    const excerpt = { step: 'regen', file: 'logs/regen.log', lines: ['line 1', longLine], total: 2 };
    fs.writeFileSync(path.join(dir, 'error.html'), plainHtmlReport(result, { headSha: 'c'.repeat(40), checkedAt: '2026-11-30T12:00:00Z', scope: '1 package: app-misc/broken (changed)' }, excerpt));
    const finding = JSON.stringify({ 'app-misc': { broken: { '1': { _error: { UnknownLicense: `unknown license: ${'y'.repeat(300)}` } } } } });
    fs.writeFileSync(path.join(dir, 'qa.html'), runQaDiff({ baseText: '', headText: finding, format: 'html', jobId: 'browser' }).output);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    t.teardown(() => browser.close());
    for (const width of [390, 1280]) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      await page.goto(pathToFileURL(path.join(dir, 'error.html')).href);
      t.true(await page.locator('#excerpt pre').isVisible(), `${width}: the excerpt`);
      t.true((await page.locator('#excerpt pre').textContent())!.includes(longLine));
      t.is(await page.locator('#steps a[href="logs/regen.log"]').count(), 1);
      t.regex((await page.locator('.meta').first().textContent())!, /scanned 1 package: app-misc\/broken \(changed\)/);
      for (const file of ['error.html', 'qa.html']) {
        await page.goto(pathToFileURL(path.join(dir, file)).href);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        t.true(overflow <= 0, `${file} at ${width} px scrolls sideways by ${overflow} px`);
      }
      await page.close();
    }
  });
}

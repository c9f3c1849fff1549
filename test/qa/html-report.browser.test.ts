/**
 * The HTML report in a real browser: new findings are visible and marked,
 * the class filter hides and shows rows. Needs Debian's chromium at
 * /usr/bin/chromium (CI installs it); skipped with a message when absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { chromium } from 'playwright-core';
import { runQaDiff } from '../../src/qa/run.ts';
import { tempDir } from '../helpers/temp.ts';
import { fixture } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
const title = 'HTML report in Chromium: new findings visible, class filter hides and shows rows';

const line = (cat: string, pkg: string, ver: string, kw: string, msg: string, level = 'error'): string =>
  JSON.stringify({ [cat]: { [pkg]: { [ver]: { [`_${level}`]: { [kw]: msg } } } } });

if (!hasChromium) {
  test.skip(`${title} (skipped: ${CHROMIUM} is not installed; apt-get install -y chromium)`, () => {});
} else {
  test(title, async (t) => {
    const base = fixture('reporter-formats', 'JsonReporter.jsonl');
    const head = [
      base.trim(),
      line('dev-libs', 'foo', '0', 'UnknownLicense', 'unknown license: <BAD>'),
      line('dev-util', 'bar', '2', 'BadFilename', 'bad filenames: [ x ]', 'warning'),
    ].join('\n');
    const { output } = runQaDiff({ baseText: base, headText: head, format: 'html', jobId: 'browser' });
    const file = path.join(tempDir(t), 'report.html');
    fs.writeFileSync(file, output);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    t.teardown(() => browser.close());
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);

    // Only the page itself was loaded: no external resource.
    t.deepEqual(requests, [pathToFileURL(file).href]);
    t.deepEqual(errors, []);

    const newRows = page.locator('#new tr.finding.new');
    t.is(await newRows.count(), 2);
    for (let i = 0; i < 2; i++) t.true(await newRows.nth(i).isVisible());
    t.is(await page.locator('#new tr.finding.new .label-new').first().textContent(), 'new');
    t.true((await page.locator('#new').textContent())!.includes('unknown license: <BAD>'));
    t.true(await page.locator('[id="pkg-dev-libs/foo"]').isVisible());

    const errRows = page.locator('tr.finding[data-class="err"]');
    const warnRows = page.locator('tr.finding[data-class="warn"]');
    const errCount = await errRows.count();
    t.true(errCount >= 3);
    const visible = async (rows: typeof errRows): Promise<number> => {
      let n = 0;
      for (let i = 0; i < (await rows.count()); i++) if (await rows.nth(i).isVisible()) n++;
      return n;
    };
    t.is(await visible(errRows), errCount);

    // Untick "err": its rows disappear, warn rows stay.
    await page.locator('#class-filter input[value="err"]').uncheck();
    t.is(await visible(errRows), 0);
    t.is(await visible(warnRows), await warnRows.count());
    t.true(await page.locator('#new tr.finding.new[data-class="warn"]').isVisible());
    // A package whose rows are all hidden is hidden too.
    t.false(await page.locator('#new [data-package="dev-libs/foo"]').isVisible());

    // Tick it again: they come back.
    await page.locator('#class-filter input[value="err"]').check();
    t.is(await visible(errRows), errCount);
    t.true(await page.locator('#new [data-package="dev-libs/foo"]').isVisible());
  });
}

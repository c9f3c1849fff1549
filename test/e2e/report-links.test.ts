/**
 * Every verdict has a report where its link points: success, failure, an
 * error after the last attempt, and a job cancelled before it ran. The
 * collector writes `--out`, a static web server serves it (as an operator
 * would), and each job's report.html, report.md and step logs are fetched
 * over HTTP with a real client, as is the status page the collector writes
 * beside them (--site).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import test from 'ava';
import { refci } from '../helpers/cli.ts';
import { enqueuePr, scenario } from '../helpers/coord.ts';

function serve(t: Parameters<typeof scenario>[0], root: string): Promise<string> {
  const server = http.createServer((request, response) => {
    const file = path.join(root, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(`${root}${path.sep}`) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': file.endsWith('.html') ? 'text/html' : 'text/plain' }).end(fs.readFileSync(file));
  });
  t.teardown(() => server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

test('every verdict kind has report.html and report.md at its link, and the steps\' logs beside them', async (t) => {
  const s = await scenario(t, 'file', 4, {
    pipelines: {
      fail: { kind: 'steps', checkout: true, steps: [{ name: 'false', run: ['node', '-e', 'console.log("why it failed"); process.exit(3)'], timeoutSec: 60 }] },
      broken: { kind: 'steps', checkout: true, steps: [{ name: 'tool', run: ['refci-no-such-tool'], timeoutSec: 60 }] },
    },
  });
  const ids = {
    success: (await enqueuePr(s, 1, 'check')).stdout.trim(),
    failure: (await enqueuePr(s, 2, 'fail')).stdout.trim(),
    error: (await enqueuePr(s, 3, 'broken', ['--max-attempts', '1'])).stdout.trim(),
    cancelled: (await enqueuePr(s, 4, 'check')).stdout.trim(),
  };
  t.is((await refci(['cancel', '--coord', s.coord, ids.cancelled], { env: s.env })).exitCode, 0);
  await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1', '--config', s.configFile], { env: s.env });
  const out = path.join(s.dir, 'reports');
  const collect = await refci(['collect', '--coord', s.coord, '--once', '--out', out, '--site', out, '--config', s.configFile], { env: s.env });
  t.is(collect.exitCode, 0, collect.stderr);
  const site = await serve(t, out);
  for (const [verdict, id] of Object.entries(ids)) {
    for (const file of ['report.html', 'report.md', 'summary.json']) {
      const response = await fetch(`${site}/${id}/${file}`);
      t.is(response.status, 200, `${verdict}: ${file}`);
    }
    const summary = await (await fetch(`${site}/${id}/summary.json`)).json();
    t.is(summary.verdict, verdict, id);
  }
  const failed = await (await fetch(`${site}/${ids.failure}/report.html`)).text();
  t.regex(failed, /<h2>Log of false: 1 line<\/h2><pre>why it failed<\/pre>/);
  const log = await fetch(`${site}/${ids.failure}/logs/false.log`);
  t.is(log.status, 200);
  t.regex(await log.text(), /why it failed/);
  t.regex(await (await fetch(`${site}/${ids.error}/report.md`)).text(), /CI infrastructure problem/);
  // --site: the status page beside the reports, its report links served too.
  const page = await (await fetch(`${site}/index.html`)).text();
  const links = [...page.matchAll(/href="([^"]+\/report\.html)"/g)].map((m) => m[1]);
  t.is(links.length, 4);
  for (const link of links) t.is((await fetch(`${site}/${link}`)).status, 200, link);
});

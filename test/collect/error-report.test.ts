import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { qaDecider } from '../../src/collect/deciders.ts';
import { FolderPublisher } from '../../src/collect/publisher.ts';
import { stepLogs } from '../../src/collect/step-logs.ts';
import { statusDecider } from '../../src/collect/verdict.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { Summary } from '../../src/protocol/history.ts';
import type { StepReport } from '../../src/protocol/result.ts';
import { tempDir } from '../helpers/temp.ts';

const step = (name: string, exitCode: number, log = `logs/${name}.log`): StepReport => ({
  name,
  argv: [name],
  exitCode,
  signal: null,
  timedOut: false,
  cancelled: false,
  durationMs: 1200,
  log,
  logBytes: 10,
  logTruncated: false,
  sandboxed: true,
});

/** An error result: regen died on line 300 of its log, after a scan step's log that holds a fence and markup. */
function regenFailure() {
  const regen = [...Array.from({ length: 299 }, (_, i) => `line ${i + 1}`), 'app-misc/broken-1: die "```</details><script>x</script>" token ghp_abcdefghijklmnopqrstuvwxyz0123456789'].join('\n');
  const artifacts: Record<string, Buffer> = {
    'logs/prepare.log': Buffer.from('ok\n'),
    'logs/regen.log': Buffer.from(`${regen}\n`),
    'logs/../../escape.log': Buffer.from('never published\n'),
  };
  const result = {
    ...closingResult('j1', 'error', 'step regen exited with 1: app-misc/broken-1: die', 'w1', 1, 0),
    steps: [step('prepare', 0), step('../../escape', 0, 'logs/../../escape.log'), step('regen', 1)],
  };
  return { result, readArtifact: async (file: string) => artifacts[file] };
}

test('an error verdict has report.md and report.html with the failed step\'s last 40 lines, collapsed and escaped', async (t) => {
  const { result, readArtifact } = regenFailure();
  for (const decider of [statusDecider, qaDecider(defaultConfig())]) {
    const decision = await decider({ job: undefined, result, readArtifact, reportUrl: 'https://ci.example.org/reports/j1/report.html' });
    t.is(decision.status, 'error');
    const md = decision.reports['report.md']!;
    t.regex(md, /<details><summary>Log of regen: last 40 of 300 lines<\/summary>/);
    t.true(md.includes('````text\nline 261\n'), 'a fence longer than any backtick run in the log');
    t.true(md.includes('The whole log: https://ci.example.org/reports/j1/logs/regen.log'));
    t.false(md.includes('ghp_abcdefghijklmnopqrstuvwxyz0123456789'), 'tokens are scrubbed');
    t.false(md.includes('line 260\n'));
    const html = decision.reports['report.html']!;
    t.regex(html, /<h2>Log of regen: last 40 of 300 lines<\/h2><pre>line 261\n/);
    t.true(html.includes('&#60;/details&#62;&#60;script&#62;'), 'the log is escaped in HTML');
    t.false(html.includes('<script>'));
    t.true(html.includes('<a href="logs/regen.log">log</a>'));
  }
});

test('the steps\' logs are published beside the report, never outside its folder', async (t) => {
  const { result, readArtifact } = regenFailure();
  const files = await stepLogs(result, readArtifact);
  t.deepEqual(Object.keys(files).sort(), ['logs/prepare.log', 'logs/regen.log']);
  const out = tempDir(t);
  const decision = { ...(await statusDecider({ job: undefined, result, readArtifact })), files };
  const summary: Summary = { version: 1, job: 'j1', verdict: 'error', reason: decision.reason, archivedAt: '2026-01-01T00:00:00Z', reports: [] };
  await new FolderPublisher(path.join(out, 'reports')).publish(undefined, summary, decision);
  t.deepEqual(fs.readdirSync(path.join(out, 'reports', 'j1')).sort(), ['logs', 'report.html', 'report.md', 'summary.json']);
  t.is(fs.readFileSync(path.join(out, 'reports', 'j1', 'logs', 'prepare.log'), 'utf8'), 'ok\n');
  t.false(fs.existsSync(path.join(out, 'escape.log')));
});

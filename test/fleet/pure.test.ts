import test from 'ava';
import { defaultConfig } from '../../src/config/defaults.ts';
import { checkConfigText, checkConfigValue, describeProblem } from '../../src/config/schema.ts';
import { allowedPipelines, hostKindOf } from '../../src/fleet/rules.ts';
import { readiness, updateCommand, versionMatches } from '../../src/fleet/versions.ts';
import { progressDisplay } from '../../src/cli/progress.ts';
import type { JobDescriptor } from '../../src/protocol/job.ts';
import type { FleetConfig } from '../../src/config/types.ts';

test('the built-in defaults pass the schema unchanged', (t) => {
  const checked = checkConfigText(JSON.stringify(defaultConfig()));
  t.true(checked.ok);
  if (checked.ok) t.deepEqual(checked.config, defaultConfig());
});

test('a field left out takes its default; a whole file replaces the pipelines', (t) => {
  const checked = checkConfigValue({ leaseSec: 60, pipelines: { only: { kind: 'steps', checkout: false, steps: [] } } });
  t.true(checked.ok);
  if (!checked.ok) return;
  t.is(checked.config.leaseSec, 60);
  t.is(checked.config.presenceSec, 180);
  t.deepEqual(Object.keys(checked.config.pipelines), ['only']);
  const overlay = checkConfigValue({ pipelines: { only: { kind: 'steps', checkout: false, steps: [] } } }, { mode: 'overlay' });
  t.true(overlay.ok && 'check' in overlay.config.pipelines && 'only' in overlay.config.pipelines);
});

test('an invalid configuration is refused with file, field and reason, every problem listed', (t) => {
  const config = defaultConfig() as unknown as Record<string, any>;
  config.pipelines.check.steps[0].timeoutSec = 0;
  config.pipelines.gentoo.tools = ['pkgcheck', 'nosuchtool'];
  config.leaseSecs = 10;
  config.workers = { 'w-*': { pipelines: ['nope'] } };
  config.forges = { github: { tokenFile: 'token.txt', apiUrl: 'ftp://x' }, gitlab: {} };
  config.pipelines.check.steps[0].stdinArtifact = 'outputs/nothing.txt';
  const checked = checkConfigText(JSON.stringify(config));
  t.false(checked.ok);
  if (checked.ok) return;
  const lines = checked.problems.map(describeProblem);
  t.true(lines.includes('config.json field leaseSecs: unknown field (a typo?)'), lines.join('\n'));
  t.true(lines.some((l) => /^config\.json field pipelines\.check\.steps\.0\.timeoutSec: Too small/.test(l)), lines.join('\n'));
  t.true(lines.includes('config.json field pipelines.gentoo.tools.1: no tool named nosuchtool in tools'), lines.join('\n'));
  t.true(lines.includes('config.json field workers.w-*.pipelines.0: no pipeline named nope in pipelines'), lines.join('\n'));
  t.true(lines.includes('config.json field forges.github.tokenFile: must be an absolute path on the main host'), lines.join('\n'));
  t.true(lines.includes('config.json field forges.github.apiUrl: must be an http(s) URL'), lines.join('\n'));
  t.true(lines.includes('config.json field forges.gitlab: unknown field (a typo?)'), lines.join('\n'));
  t.true(lines.includes('config.json field pipelines.check.steps.0.stdinArtifact: no earlier step writes outputs/nothing.txt (stdoutArtifact)'), lines.join('\n'));
  const notJson = checkConfigText('{"leaseSec": 3,}');
  t.false(notJson.ok);
  if (!notJson.ok) t.regex(describeProblem(notJson.problems[0]), /^config\.json field \(top level\): not valid JSON/);
});

test('classes and excludes may name files beside config.json, checked like the inline forms', (t) => {
  const files: Record<string, string> = { 'classes.json': '{"DeprecatedEapi": "err"}', 'bad.json': '{"X": 1}' };
  const read = (name: string) => files[name];
  const ok = checkConfigValue({ gentoo: { classes: 'classes.json', excludes: { 'dev-libs': { foo: { '*': ['X'] } } } } }, { readFile: read });
  t.true(ok.ok);
  if (ok.ok) t.deepEqual(ok.config.gentoo.classes, { DeprecatedEapi: 'err' });
  const bad = checkConfigValue({ gentoo: { classes: 'bad.json' } }, { readFile: read });
  t.false(bad.ok);
  if (!bad.ok) t.is(describeProblem(bad.problems[0]), 'bad.json field (top level): the class of "X" is 1, not a string');
  const missing = checkConfigValue({ gentoo: { excludes: 'excludes.json' } }, { readFile: read });
  t.false(missing.ok);
  if (!missing.ok) t.is(describeProblem(missing.problems[0]), 'config.json field gentoo.excludes: names excludes.json, which is not beside config.json');
});

test('wanted versions match a token of the version line, or a prefix at a dot', (t) => {
  t.true(versionMatches('pkgcheck 0.10.30', '0.10.30'));
  t.true(versionMatches('pkgcheck 0.10.30', '0.10'));
  t.true(versionMatches('git version 2.39.5', 'v2.39'));
  t.false(versionMatches('pkgcheck 0.10.30', '0.10.3'));
  t.false(versionMatches('pkgcheck 0.10.301', '0.10.30'));
  t.false(versionMatches('missing', '1'));
});

test('which pipelines a worker may run and can run, and its update commands', (t) => {
  const config: FleetConfig = {
    ...defaultConfig(),
    tools: {
      ...defaultConfig().tools,
      pkgcheck: { versionCommand: ['pkgcheck', '--version'], want: '0.10.30', update: { gentoo: ['emerge', '-1', '=dev-util/{tool}-{want}'] } },
    },
    workers: { 'big-1': { kind: 'gentoo' }, 'big-*': { pipelines: ['gentoo'], kind: 'pip' }, '*': { pipelines: ['check', 'noop'] } },
  };
  t.deepEqual(allowedPipelines(config, 'big-2'), ['gentoo']);
  t.deepEqual(allowedPipelines(config, 'big-1'), ['noop', 'check', 'gentoo']);
  t.deepEqual(allowedPipelines(config, 'small'), ['check', 'noop']);
  t.deepEqual(allowedPipelines(config, 'small', ['noop', 'gentoo']), ['noop']);
  t.is(hostKindOf(config, 'big-1'), 'gentoo');
  t.is(hostKindOf(config, 'big-2'), 'pip');
  t.is(hostKindOf(config, 'small'), 'default');
  t.is(hostKindOf(config, 'small', 'gentoo'), 'gentoo');
  t.deepEqual(updateCommand(config, 'pkgcheck', 'gentoo'), ['emerge', '-1', '=dev-util/pkgcheck-0.10.30']);
  t.is(updateCommand(config, 'pkgcheck', 'pip'), undefined);
  const ready = readiness(config, ['check', 'gentoo'], { git: 'git version 2.39.5', pkgcheck: 'pkgcheck 0.10.29', pmaint: 'pmaint 0.12' }, { pkgcheck: 'no update command' });
  t.deepEqual(ready.runnable, ['check']);
  t.is(ready.blocked.gentoo, 'pkgcheck is "pkgcheck 0.10.29", wanted 0.10.30 (no update command)');
});

test('readiness: a tool that does not answer blocks its pipelines even when no version is wanted', (t) => {
  const config = defaultConfig();
  const ready = readiness(config, ['noop', 'check', 'gentoo'], { git: 'git version 2.39.5', pkgcheck: 'pkgcheck 0.10.30', pmaint: 'missing' });
  t.deepEqual(ready.runnable, ['noop', 'check']);
  t.is(ready.blocked.gentoo, '`pmaint --version` does not run: pmaint is missing on this host');
  t.deepEqual(readiness(config, ['gentoo'], { git: 'git version 2.39.5', pkgcheck: 'pkgcheck 0.10.30', pmaint: 'pmaint 0.12.30' }).runnable, ['gentoo']);
});

test('progress: plain lines when not a terminal, one redrawn line on a terminal', (t) => {
  const job = { id: 'pr1-abc' } as JobDescriptor;
  let now = 0;
  const clock = { now: () => now };
  const plain: string[] = [];
  const io = { out: () => {}, err: () => {}, env: {}, isTTY: false };
  const display = progressDisplay(io, clock, (line) => plain.push(line));
  display.onStep(job, { step: 'scan-head', phase: 'start', index: 2, total: 4 });
  now = 72_000;
  display.onStep(job, { step: 'scan-head', phase: 'end', index: 2, total: 4, exitCode: 0, durationMs: 72_000 });
  display.dispose();
  t.deepEqual(plain, ['pr1-abc: scan-head started (step 2 of 4)', 'pr1-abc: scan-head ended after 1m12s, exit 0']);

  const written: string[] = [];
  const logged: string[] = [];
  const tty = progressDisplay({ ...io, isTTY: true }, clock, (line) => logged.push(line), (text) => written.push(text));
  now = 0;
  tty.onStep(job, { step: 'scan-base', phase: 'start', index: 4, total: 4 });
  now = 5000;
  tty.log('a log line');
  tty.dispose();
  t.deepEqual(logged, ['a log line']);
  t.is(written[0], '\r\x1b[Kpr1-abc: scan-base (4/4) 0s');
  t.true(written.includes('\r\x1b[Kpr1-abc: scan-base (4/4) 5s'), JSON.stringify(written));
  t.is(written.at(-1), '\r\x1b[K');
});

test('status report: percentiles, elapsed time, queue notes, drained workers', async (t) => {
  const { buildStatus, percentiles, renderStatus } = await import('../../src/status/report.ts');
  const { formatDuration } = await import('../../src/protocol/duration.ts');
  t.deepEqual(percentiles([5, 1, 3, 2, 4]), { count: 5, p50: 3, p90: 5, p99: 5, max: 5 });
  t.is(percentiles([]), null);
  t.is(formatDuration(3725), '1h02m');
  const now = Date.parse('2026-01-02T00:00:00Z');
  const job = (id: string, pipeline: string, createdAt: string) => ({
    oid: 'a'.repeat(40),
    record: { ok: true as const, value: { version: 1 as const, id, repo: 'r', base: 'b'.repeat(40), head: 'c'.repeat(40), mergeBasis: 'base' as const, pipeline, priority: 0, createdAt, maxAttempts: 3, timeoutSec: 60 } },
  });
  const lock = { oid: 'd'.repeat(40), record: { ok: true as const, value: { version: 1 as const, job: 'run1', event: 'heartbeat' as const, worker: 'w1', host: 'h', attempt: 2, leaseSec: 30, nonce: 'f'.repeat(16), at: '2026-01-01T23:59:00Z', tools: {} } } };
  const snapshot = new Map<string, any>([
    ['q1', { id: 'q1', job: job('q1', 'gentoo', '2026-01-01T23:00:00Z') }],
    ['run1', { id: 'run1', job: job('run1', 'check', '2026-01-01T22:00:00Z'), lock }],
  ]);
  const presence = { version: 1 as const, worker: 'w1', host: 'h', kind: 'default', state: 'running' as const, at: '2026-01-01T23:58:00Z', pipelines: ['check'], blocked: { gentoo: 'pkgcheck is missing, wanted 0.10.30' }, tools: { git: 'git version 2.39.5' }, job: null, seq: 4 };
  const summary = (job: string, enqueuedAt: string, startedAt: string, finishedAt: string, verdict: 'success' | 'failure') => ({ version: 1 as const, job, verdict, reason: verdict === 'failure' ? 'new errors' : 'ok', enqueuedAt, startedAt, finishedAt, archivedAt: finishedAt, reports: [] });
  const report = buildStatus({
    snapshot,
    nowMs: now,
    presences: [{ worker: 'w1', record: presence }],
    drains: new Map([['w2', { version: 1 as const, worker: 'w2', by: 'op', at: '2026-01-01T00:00:00Z', reason: 'disk' }]]),
    history: [
      summary('h1', '2026-01-01T10:00:00Z', '2026-01-01T10:00:10Z', '2026-01-01T10:01:10Z', 'failure'),
      summary('h2', '2026-01-01T11:00:00Z', '2026-01-01T11:00:30Z', '2026-01-01T11:02:30Z', 'success'),
      summary('old', '2025-12-30T11:00:00Z', '2025-12-30T11:00:30Z', '2025-12-30T11:02:30Z', 'failure'),
    ],
    attemptStarts: new Map([['run1', now - 90_000]]),
  });
  t.deepEqual(report.running, [{ id: 'run1', state: 'running', pipeline: 'check', pr: undefined, worker: 'w1', attempt: 2, elapsedSec: 90 }]);
  t.is(report.queue[0].note, 'no worker can run gentoo now (w1: pkgcheck is missing, wanted 0.10.30)');
  t.deepEqual(report.failed.map((f) => f.id), ['h1']);
  t.deepEqual(report.times.queueWaitSec, { count: 2, p50: 10, p90: 30, p99: 30, max: 30 });
  t.deepEqual(report.times.runSec, { count: 2, p50: 60, p90: 120, p99: 120, max: 120 });
  t.deepEqual(report.workers.map((w) => [w.id, w.state, w.lastSeenSec]), [['w1', 'running', 120], ['w2', 'drained', undefined]]);
  const text = renderStatus(report).join('\n');
  t.regex(text, /^run1\s+check\s+-\s+w1\s+2\s+1m30s\s+running$/m);
  t.regex(text, /^ {2}w1 cannot run gentoo: pkgcheck is missing, wanted 0\.10\.30$/m);
  t.regex(text, /^ {2}w2 drained: disk$/m);
  t.regex(text, /^LAST 24H: 2 job\(s\) archived; queue wait p50 10s, p90 30s, p99 30s, max 30s; run time p50 1m00s, p90 2m00s, p99 2m00s, max 2m00s$/m);
});

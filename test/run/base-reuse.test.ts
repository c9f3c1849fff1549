/**
 * The base-scan cache in real jobs: the worker's own runner (Workspace, real
 * git, real bwrap, its state folder), a source repository in a temp folder and
 * a scan tool that says what it scanned. A second job with the same key takes
 * the first one's base scan; any other key, a scan that did not finish
 * normally, a damaged entry or the switch turned off runs the scan again.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { checkFacts, plainReport } from '../../src/collect/verdict.ts';
import { qaDecider } from '../../src/collect/deciders.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { FleetConfig, PipelineConfig, StepConfig } from '../../src/config/types.ts';
import { createSampleEbuildRepo } from '../../src/demo/sample-repo.ts';
import { withStandIns } from '../../src/demo/stand-ins.ts';
import { identityEnv } from '../../src/git/identity.ts';
import { git } from '../../src/git/runner.ts';
import type { JobRunOutcome } from '../../src/protocol/job-run.ts';
import { newJob, type JobDescriptor } from '../../src/protocol/job.ts';
import { escapeMarkdown } from '../../src/qa/escape.ts';
import { factsBlock } from '../../src/qa/report-facts.ts';
import type { BaseReuseRecord } from '../../src/run/base-reuse.ts';
import { BaseScanCache } from '../../src/run/base-scan-cache.ts';
import { baseScanCacheDir, pipelineRunner } from '../../src/run/job-runner.ts';
import { workerHooks } from '../../src/run/kinds.ts';
import { sourceRepo } from '../helpers/source-repo.ts';
import { tempDir } from '../helpers/temp.ts';
import { jobRunDefaults } from '../helpers/job-run.ts';

const usable = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-net', 'true']).status === 0;
const real = usable ? test.serial : test.skip;
const why = usable ? '' : ' [skipped: bwrap is not usable here (install bubblewrap)]';

/**
 * A scan tool in a folder of its own (the sandbox shows a tool's folder): it
 * does what the file `mode` beside it says, so a test can make the same step,
 * with the same key, fail once and pass the next time.
 */
function scanTool(dir: string): { path: string; mode: (mode: 'pass' | 'fail' | 'hang' | 'flood' | 'missing') => void } {
  fs.mkdirSync(dir, { recursive: true });
  const tool = path.join(dir, 'scan');
  fs.writeFileSync(
    tool,
    [
      '#!/bin/sh',
      'mode=$(cat "$(dirname "$0")/mode")',
      '# Only the base tree (no change-N file of a PR) sees the mode: the merged scan before it passes.',
      'if ls change-* >/dev/null 2>&1; then mode=pass; fi',
      'case "$mode" in',
      '  fail) echo "scan broke" >&2; exit 3 ;;',
      '  hang) sleep 30 ;;',
      '  flood) head -c 4096 /dev/zero | tr "\\0" x; echo ;;',
      '  missing) exit 127 ;;',
      'esac',
      'echo "scanning $PWD-relative targets: $*" >&2',
      'for t in "$@"; do echo "{\\"target\\":\\"$t\\",\\"files\\":\\"$(ls | tr "\\n" " ")\\"}"; done',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const mode = (value: string) => fs.writeFileSync(path.join(dir, 'mode'), value);
  mode('pass');
  return { path: tool, mode };
}

function pipelineOf(tool: string, over: { base?: Partial<StepConfig>; merged?: Partial<StepConfig> } = {}): PipelineConfig {
  return {
    kind: 'gentoo',
    checkout: true,
    steps: [
      { name: 'scan-head', run: [tool, '{targets}'], timeoutSec: 60, stdoutArtifact: 'outputs/head.jsonl', sandbox: true, ...over.merged },
      { name: 'scan-base', tree: 'base', run: [tool, '{targets}'], timeoutSec: 60, stdoutArtifact: 'outputs/base.jsonl', sandbox: true, ...over.base },
    ],
  };
}

interface JobOptions {
  head?: string;
  base?: string;
  targets?: string[][];
  tools?: Record<string, string>;
  configCommit?: string | null;
  config?: FleetConfig;
  pipeline?: PipelineConfig;
}

async function worker(t: ExecutionContext) {
  const dir = tempDir(t);
  const source = await sourceRepo(path.join(dir, 'source'), 3);
  const stateDir = path.join(dir, 'state');
  const tool = scanTool(path.join(dir, 'tool'));
  const config: FleetConfig = { ...defaultConfig(), sandbox: 'required', artifactCapBytes: 1024 };
  // The scan targets the gentoo scope would compute, given by each test.
  let targets: string[][] = [['app-misc/hello']];
  const runJob = pipelineRunner({
    stateDir,
    allowLocalRepos: true,
    hooks: async (c) => ({ ...(await workerHooks(c, stateDir)), beforeSteps: { gentoo: async () => ({ values: {}, details: {}, scans: { merged: targets, base: targets } }) } }),
  });
  let n = 0;
  const run = async (options: JobOptions = {}): Promise<JobRunOutcome & { job: JobDescriptor; reuse?: BaseReuseRecord }> => {
    n += 1;
    targets = options.targets ?? [['app-misc/hello']];
    const job = newJob({ repo: source.path, base: options.base ?? source.base, head: options.head ?? source.heads[0], pipeline: 'p', pr: n, createdAt: '2026-01-01T00:00:00.000Z' });
    const base = options.config ?? config;
    const runConfig: FleetConfig = { ...base, pipelines: { ...base.pipelines, p: options.pipeline ?? pipelineOf(tool.path) } };
    const commit = options.configCommit === null ? undefined : (options.configCommit ?? 'c'.repeat(40));
    const outcome = await runJob({
      job,
      config: runConfig,
      ...(commit ? { configCommit: commit } : {}),
      ...jobRunDefaults(),
      tools: options.tools ?? { scan: 'scan 1.0' },
    });
    return { ...outcome, job, reuse: outcome.result.details.baseScanCache as BaseReuseRecord | undefined };
  };
  const cache = new BaseScanCache(baseScanCacheDir(stateDir));
  return { dir, source, stateDir, tool, config, run, cache };
}

const text = (bytes: string | Uint8Array | undefined) => Buffer.from(bytes ?? '').toString('utf8');

real(`a second job with the same base, targets, tools, step and configuration takes the first one's base scan${why}`, async (t) => {
  const w = await worker(t);
  const first = await w.run({ head: w.source.heads[0] });
  t.is(first.result.status, 'success', first.result.reason);
  t.deepEqual(first.reuse, { reused: [], stored: ['scan-base'] });
  t.true(first.result.sandboxed);

  const second = await w.run({ head: w.source.heads[1] });
  t.is(second.result.status, 'success', second.result.reason);
  t.deepEqual(second.reuse?.reused, [{ step: 'scan-base', fromJob: first.job.id, at: second.reuse!.reused[0].at }]);
  t.deepEqual(second.reuse?.stored, []);
  t.is(text(second.artifacts['outputs/base.jsonl']), text(first.artifacts['outputs/base.jsonl']));
  t.is(text(second.artifacts['outputs/base.jsonl']), '{"target":"app-misc/hello","files":"README "}\n');
  t.regex(text(second.artifacts['outputs/head.jsonl']), /"files":"README change-2 "/, 'the merged tree was scanned again, in this job\'s tree');
  const step = second.result.steps.find((s) => s.name === 'scan-base')!;
  t.is(step.durationMs, 0);
  t.is(step.exitCode, 0);
  t.true(step.sandboxed);
  t.true(second.result.sandboxed);
  t.true(text(second.artifacts['logs/scan-base.log']).startsWith(`[refci: output of job ${first.job.id} (`));
  t.true(text(second.artifacts['logs/scan-base.log']).endsWith(text(first.artifacts['logs/scan-base.log'])));
  t.is(second.result.reason, 'all 2 steps passed');

  // The line every comment ends with says so; the report of a check that did not reuse says nothing.
  const line = `- Base scan: scan-base reused from job ${escapeMarkdown(first.job.id)} (same base commit, targets, tool versions and configuration)`;
  t.true(factsBlock(checkFacts(second.job, second.result)).split('\n').includes(line));
  t.true(plainReport(second.job, second.result).split('\n').includes(line));
  t.false(plainReport(first.job, first.result).includes('Base scan'));
});

real(`any part of the key that differs runs the base scan again${why}`, async (t) => {
  const w = await worker(t);
  const first = await w.run();
  t.deepEqual(first.reuse?.stored, ['scan-base']);
  // A newer base commit: the same heads merge onto it.
  fs.writeFileSync(path.join(w.source.path, 'later'), 'later\n');
  await git(['add', 'later'], { cwd: w.source.path });
  await git(['commit', '--quiet', '-m', 'later'], { cwd: w.source.path, env: identityEnv('Test Author', 'author@example.org') });
  const later = (await git(['rev-parse', 'HEAD'], { cwd: w.source.path })).stdout.trim();
  const variants: Record<string, JobOptions> = {
    'another tool version': { tools: { scan: 'scan 1.1' } },
    'another configuration commit': { configCommit: 'd'.repeat(40) },
    'a local configuration': { configCommit: null },
    'other targets': { targets: [['app-misc/hello', 'app-misc/world']] },
    'another base commit': { base: later },
    'another step': { pipeline: pipelineOf(w.tool.path, { base: { env: { SCAN_LEVEL: '2' } } }) },
  };
  for (const [what, options] of Object.entries(variants)) {
    const out = await w.run({ head: w.source.heads[1], ...options });
    t.is(out.result.status, 'success', `${what}: ${out.result.reason}`);
    t.deepEqual(out.reuse, { reused: [], stored: ['scan-base'] }, what);
    t.true(out.result.steps.find((s) => s.name === 'scan-base')!.durationMs >= 0);
    t.false(text(out.artifacts['logs/scan-base.log']).startsWith('[refci: output of job'), what);
  }
  const again = await w.run({ head: w.source.heads[2] });
  t.is(again.reuse?.reused[0]?.fromJob, first.job.id, 'the first key still hits');
});

real(`a base scan that failed, timed out, could not start or had its output cut is not kept${why}`, async (t) => {
  const w = await worker(t);
  const failures: Array<['fail' | 'hang' | 'flood' | 'missing', RegExp]> = [
    ['fail', /^step scan-base exited with 3: scan broke$/],
    ['hang', /^step scan-base timed out after 1s$/],
    ['missing', /^CI infrastructure problem: step scan-base could not start .*exit 127/],
    ['flood', /^step scan-base wrote more than 1024 bytes; its output was cut$/],
  ];
  const pipeline = pipelineOf(w.tool.path, { base: { timeoutSec: 1 } });
  for (const [mode, reason] of failures) {
    w.tool.mode(mode);
    const failed = await w.run({ pipeline });
    t.is(failed.result.status, 'error', mode);
    t.regex(failed.result.reason, reason, mode);
    t.deepEqual(failed.reuse?.stored, [], mode);
    t.deepEqual(w.cache.entries(), [], `${mode}: nothing kept`);
  }
  w.tool.mode('pass');
  const passed = await w.run({ pipeline });
  t.deepEqual(passed.reuse, { reused: [], stored: ['scan-base'] });
  t.is(w.cache.entries().length, 1);
});

real(`a damaged entry is a miss: the scan runs, the job passes and the entry is written again${why}`, async (t) => {
  const w = await worker(t);
  const first = await w.run();
  const [entry] = w.cache.entries();
  const bytes = fs.readFileSync(entry.file);
  fs.writeFileSync(entry.file, bytes.subarray(0, bytes.length - 5));
  const second = await w.run({ head: w.source.heads[1] });
  t.is(second.result.status, 'success', second.result.reason);
  t.deepEqual(second.reuse, { reused: [], stored: ['scan-base'] });
  // A byte changed in the middle of the output: the digest no longer matches.
  const whole = fs.readFileSync(entry.file);
  whole[whole.length - 10] ^= 1;
  fs.writeFileSync(entry.file, whole);
  const third = await w.run({ head: w.source.heads[2] });
  t.deepEqual(third.reuse, { reused: [], stored: ['scan-base'] });
  t.is(text(third.artifacts['outputs/base.jsonl']), text(first.artifacts['outputs/base.jsonl']));
  const fourth = await w.run({ head: w.source.heads[0] });
  t.is(fourth.reuse?.reused[0]?.fromJob, third.job.id);
});

real(`switched off, or with a merged-tree step outside the sandbox, nothing is read or kept${why}`, async (t) => {
  const w = await worker(t);
  const off: FleetConfig = { ...w.config, gentoo: { ...w.config.gentoo, baseScanCache: { enabled: false, maxEntries: 10, maxMB: 10 } } };
  for (const head of [w.source.heads[0], w.source.heads[1]]) {
    const out = await w.run({ head, config: off });
    t.is(out.result.status, 'success', out.result.reason);
    t.false('baseScanCache' in out.result.details);
  }
  t.false(fs.existsSync(w.cache.dir));

  const bare = pipelineOf(w.tool.path, { merged: { sandbox: false } });
  for (const head of [w.source.heads[0], w.source.heads[1]]) {
    const out = await w.run({ head, pipeline: bare });
    t.deepEqual(out.reuse, { reused: [], stored: [], off: 'step scan-head runs on the merged tree outside the sandbox' });
  }
  t.false(fs.existsSync(w.cache.dir));

  const ownHead = pipelineOf(w.tool.path, { base: { run: [w.tool.path, '{head}', '{targets}'] } });
  const out = await w.run({ pipeline: ownHead });
  t.deepEqual(out.reuse, { reused: [], stored: [], off: 'step scan-base uses {head}, which differ from job to job' });
});

real(`the gentoo pipeline with the stand-ins: a second PR on the same base and package takes the base scan, and its report says so${why}`, async (t) => {
  const dir = tempDir(t);
  const sample = await createSampleEbuildRepo(path.join(dir, 'gentoo'));
  const stateDir = path.join(dir, 'state');
  const config = withStandIns(defaultConfig());
  const runJob = pipelineRunner({ stateDir, allowLocalRepos: true });
  // pr/1 and pr/5 both change app-misc/hello; on the fork point neither conflicts.
  const run = async (branch: string, pr: number) => {
    const head = sample.heads.find((h) => h.name === branch)!.sha;
    const job = newJob({ repo: sample.path, base: sample.base, head, pipeline: 'gentoo', pr, createdAt: '2026-01-01T00:00:00.000Z' });
    const outcome = await runJob({ job, config, configCommit: 'c'.repeat(40), ...jobRunDefaults(), tools: { pkgcheck: 'pkgcheck 0.10.41-standin', pmaint: 'pmaint standin' } });
    return { job, ...outcome };
  };
  const first = await run('pr/1', 1);
  t.is(first.result.status, 'success', first.result.reason);
  t.deepEqual((first.result.details.baseScanCache as BaseReuseRecord).stored, ['scan-base']);
  const second = await run('pr/5', 5);
  t.is(second.result.status, 'success', second.result.reason);
  t.deepEqual((second.result.details.scope as { targets: string[] }).targets, ['app-misc/hello']);
  t.is((second.result.details.baseScanCache as BaseReuseRecord).reused[0]?.fromJob, first.job.id);
  t.is(text(second.artifacts['outputs/base.jsonl']), text(first.artifacts['outputs/base.jsonl']));
  t.true(second.result.artifacts.includes('outputs/base.messages.jsonl'), 'the replay of the reused scan ran');

  const decision = await qaDecider(config)({ job: second.job, result: second.result, readArtifact: async (file) => (second.artifacts[file] ? Buffer.from(second.artifacts[file]) : undefined) });
  t.true(decision.reports['report.md'].split('\n').includes(`- Base scan: scan-base reused from job ${escapeMarkdown(first.job.id)} (same base commit, targets, tool versions and configuration)`));
  t.regex(decision.reports['report.html'], /base scan: scan-base reused from job /);
});

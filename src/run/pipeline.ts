import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { FleetConfig, PipelineConfig, StepConfig } from '../config/types.ts';
import { isRefciError } from '../errors.ts';
import { isoOf } from '../host/clock.ts';
import type { FileTree } from '../git/objects.ts';
import type { JobDescriptor } from '../protocol/job.ts';
import type { StepOutput } from '../protocol/job-run.ts';
import type { ResultRecord, ResultStatus, StepReport } from '../protocol/result.ts';
import { tmpdirOf } from '../host/env.ts';
import { runStep, type StepOutcome } from '../host/process.ts';
import type { BaseScanCache, CachedRun } from './base-scan-cache.ts';
import { openBaseReuse, reusedRuns, type BaseReuse } from './base-reuse.ts';
import { infrastructureProblem } from './infrastructure.ts';
import { describeRegenFailures, parseRegenFailures } from './regen-errors.ts';
import { expandArgv, type TemplateValues } from './template.ts';
import { MergeConflict, type PreparedTrees, type Workspace } from './workspace.ts';

/** Wraps a step's argv for the sandbox; the default runs it as it is. */
export type StepWrapper = (argv: string[], step: StepConfig, trees: PreparedTrees) => {
  argv: string[];
  sandboxed: boolean;
};

/**
 * Pipeline-kind work before the steps, such as the gentoo pipeline's scan
 * targets. `scans` gives, per tree, the argument lists a `{targets}` step runs
 * with: once per list, outputs concatenated, not at all for an empty list.
 */
export type BeforeSteps = (
  job: JobDescriptor,
  trees: PreparedTrees,
) => Promise<{
  values: TemplateValues;
  details: Record<string, unknown>;
  scans?: { merged: string[][]; base: string[][] };
  /** Values for the steps of one tree only (`{portageconfig}`: that tree's repos.conf folder); a reused base scan's key leaves them out. */
  treeValues?: { merged: TemplateValues; base: TemplateValues };
  /** Runs once the steps are over, before the trees are removed, with what each step did (keeping a cache). */
  after?: (steps: StepReport[]) => Promise<void>;
  /**
   * Runs once every step has passed, before the run is called a success: why
   * what the steps produced cannot be trusted (a step changed the tree it
   * scanned), or undefined. A reason makes the run an error.
   */
  verify?: () => Promise<string | undefined>;
}>;

/** A step (or the checkout) starting or ending, for a progress display; `index` counts from 1 among `total` steps, 0 for the checkout. */
export interface StepProgress {
  step: string;
  phase: 'start' | 'end';
  index: number;
  total: number;
  exitCode?: number | null;
  durationMs?: number;
}

export interface PipelineRun {
  job: JobDescriptor;
  pipeline: PipelineConfig;
  config: FleetConfig;
  workspace: Workspace;
  worker: string;
  attempt: number;
  tools: Record<string, string>;
  signal: AbortSignal;
  now: () => number;
  /** Why the signal fired: a cancel request, a lost lease, a shutdown or the job's timeout. */
  abortReason: () => string;
  /** How a stopped run ends: `error` for the job's timeout; `cancelled` when absent. */
  abortStatus?: () => 'cancelled' | 'error';
  wrap?: StepWrapper;
  beforeSteps?: BeforeSteps;
  onStep?: (event: StepProgress) => void;
  /** The environment steps start from (and whose TMPDIR holds their scratch folder); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Each step's log as it is written, under the name its log has in the result. */
  output?: StepOutput;
  /** The configuration commit `config` came from; absent for a local configuration file. */
  configCommit?: string;
  /** Base-tree scans kept between jobs (base-scan-cache.ts); without it every base scan runs. */
  baseCache?: BaseScanCache;
}

export interface PipelineOutcome {
  result: ResultRecord;
  artifacts: FileTree;
  /** Set when a step failed because of this host, not the job (see infrastructure.ts): the worker hands the job back. */
  infrastructure?: string;
}

/** Runs a job's pipeline and returns its result record and artifacts; it never throws for a job's own failure. */
export async function runPipeline(run: PipelineRun): Promise<PipelineOutcome> {
  const startedMs = run.now();
  const steps: StepReport[] = [];
  const artifacts: FileTree = {};
  const details: Record<string, unknown> = {};
  let sandboxedAll = run.pipeline.steps.length > 0;
  const finish = (status: ResultStatus, reason: string, infrastructure?: boolean): PipelineOutcome => ({
    ...(infrastructure ? { infrastructure: reason } : {}),
    result: {
      version: 1,
      job: run.job.id,
      status,
      reason,
      worker: run.worker,
      attempt: run.attempt,
      startedAt: isoOf(startedMs),
      finishedAt: isoOf(run.now()),
      durationMs: Math.max(0, run.now() - startedMs),
      tools: run.tools,
      steps,
      artifacts: Object.keys(artifacts).sort(),
      sandboxed: sandboxedAll && steps.length > 0 && steps.every((s) => s.sandboxed),
      configCommit: run.job.configCommit,
      details,
    },
    artifacts,
  });

  const stopped = (why: PipelineRun) => finish(why.abortStatus?.() ?? 'cancelled', why.abortReason());
  let trees: PreparedTrees | undefined;
  const values: TemplateValues = {
    jobId: run.job.id,
    base: run.job.base,
    head: run.job.head,
    jobs: String(os.availableParallelism()),
  };
  if (run.pipeline.checkout) {
    try {
      run.onStep?.({ step: 'checkout', phase: 'start', index: 0, total: run.pipeline.steps.length });
      const masters = run.pipeline.masters && Object.keys(run.pipeline.masters).length > 0 ? { pipeline: run.job.pipeline, masters: run.pipeline.masters } : undefined;
      trees = await run.workspace.prepare(run.job, run.signal, masters);
      run.onStep?.({ step: 'checkout', phase: 'end', index: 0, total: run.pipeline.steps.length });
    } catch (error) {
      // The fetch was stopped by the job's signal: its reason (a timeout, a cancel) is the job's, not git's.
      if (run.signal.aborted) return stopped(run);
      if (error instanceof MergeConflict) return finish('error', `merge conflict: ${error.message}`);
      // A master that cannot be fetched: its own line (the master, its URL, git's cause, the fix).
      if (isRefciError(error) && error.details?.master !== undefined) return finish('error', error.oneLine());
      return finish('error', `could not prepare the trees: ${(error as Error).message}`);
    }
    Object.assign(values, { workdir: trees.workdir, basedir: trees.basedir });
    Object.assign(details, { basis: trees.basis, merged: trees.merged, mergeBasis: run.job.mergeBasis });
    // Which commit of each mirrored master the verdict was reached with.
    const mirrored = (trees.masters ?? []).filter((m) => m.commit !== undefined);
    if (mirrored.length > 0) details.masterCommits = Object.fromEntries(mirrored.map((m) => [m.name, { url: m.url, commit: m.commit }]));
  }
  const scratch = fs.mkdtempSync(path.join(tmpdirOf(run.env ?? process.env), 'refci-out-'));
  /** Optional steps that failed, each with why: the job went on without them. */
  const skipped: string[] = [];
  /** Steps run once per list of targets that had no list at all: nothing to scan, so they never ran. */
  const notRun: string[] = [];
  values.outdir = scratch;
  let after: ((steps: StepReport[]) => Promise<void>) | undefined;
  try {
    let scans: { merged: string[][]; base: string[][] } | undefined;
    let treeValues: { merged: TemplateValues; base: TemplateValues } | undefined;
    let verify: (() => Promise<string | undefined>) | undefined;
    if (run.beforeSteps && trees) {
      const extra = await run.beforeSteps(run.job, trees);
      Object.assign(values, extra.values);
      Object.assign(details, extra.details);
      scans = extra.scans;
      treeValues = extra.treeValues;
      after = extra.after;
      verify = extra.verify;
    }
    const reuse = run.baseCache && trees && scans ? openReuse(run, run.baseCache, trees, values) : undefined;
    if (reuse) details.baseScanCache = reuse.record;
    for (const [stepIndex, step] of run.pipeline.steps.entries()) {
      const tree = step.tree ?? 'merged';
      const cwd = tree === 'base' ? trees?.basedir ?? scratch : trees?.workdir ?? scratch;
      const targetLists = scans && step.run.includes('{targets}') ? scans[tree] : [[]];
      const input = step.stdinArtifact !== undefined && Object.hasOwn(artifacts, step.stdinArtifact) ? artifacts[step.stdinArtifact] : undefined;
      if (step.stdinArtifact !== undefined && input === undefined) {
        return finish('error', `step ${step.name} reads ${step.stdinArtifact}, which no earlier step wrote; fix stdinArtifact in the configuration`);
      }
      if (targetLists.length === 0) notRun.push(step.name);
      const stdouts: Buffer[] = [];
      let failedOptional = false;
      const planned = targetLists.map((targets, index) => {
        const expanded = expandArgv(step.run, { ...values, ...treeValues?.[tree], targets });
        const wrapped = run.wrap && trees ? run.wrap(expanded, step, trees) : { argv: expanded, sandboxed: false };
        const name = targetLists.length > 1 ? `${step.name}-${index + 1}` : step.name;
        return { expanded, wrapped, name, progress: { step: name, index: stepIndex + 1, total: run.pipeline.steps.length } };
      });
      const key = reuse && targetLists.length > 0 ? reuse.keyOf(step, targetLists, planned.map((p) => p.wrapped.sandboxed)) : undefined;
      const hit = key ? reuse!.get(key) : undefined;
      const reused = hit && step.stdoutArtifact ? reusedRuns(hit, planned.map((p) => ({ name: p.name, argv: p.expanded, sandboxed: p.wrapped.sandboxed }))) : undefined;
      if (hit && reused) {
        if (run.signal.aborted) return stopped(run);
        for (const [index, { report, log }] of reused.entries()) {
          if (!report.sandboxed) sandboxedAll = false;
          run.onStep?.({ ...planned[index].progress, phase: 'start' });
          run.output?.write(report.name, log);
          run.output?.end(report.name);
          run.onStep?.({ ...planned[index].progress, phase: 'end', exitCode: report.exitCode, durationMs: 0 });
          artifacts[report.log!] = log;
          steps.push(report);
        }
        artifacts[step.stdoutArtifact!] = hit.output;
        reuse!.record.reused.push({ step: step.name, fromJob: hit.job, at: hit.at });
        continue;
      }
      /** This step's runs as the cache would keep them; only a step whose every run passed, whole, is kept. */
      const keep: CachedRun[] = [];
      let keepable = key !== undefined;
      for (const { expanded, wrapped, name, progress } of planned) {
        if (run.signal.aborted) return stopped(run);
        if (!wrapped.sandboxed) sandboxedAll = false;
        run.onStep?.({ ...progress, phase: 'start' });
        const outcome = await runStep({
          argv: wrapped.argv,
          cwd,
          env: step.env,
          hostEnv: run.env,
          timeoutMs: step.timeoutSec * 1000,
          signal: run.signal,
          logCap: run.config.logCapBytes,
          stdoutCap: step.stdoutArtifact ? run.config.artifactCapBytes : undefined,
          input,
          now: run.now,
          onLog: run.output ? (chunk) => run.output!.write(name, chunk) : undefined,
        });
        run.output?.end(name);
        run.onStep?.({ ...progress, phase: 'end', exitCode: outcome.exitCode, durationMs: outcome.durationMs });
        const logPath = `logs/${name}.log`;
        artifacts[logPath] = outcome.log;
        if (outcome.stdout) stdouts.push(outcome.stdout);
        steps.push(stepReport(name, expanded, outcome, logPath, wrapped.sandboxed));
        const verdict = judgeStep(step, outcome, run, wrapped.sandboxed);
        if (verdict && step.optional && !outcome.cancelled) {
          failedOptional = true;
          skipped.push(verdict.reason);
          continue;
        }
        if (verdict) return finish(verdict.status, verdict.reason, verdict.infrastructure);
        if (outcome.logTruncated || outcome.exitCode === null) keepable = false;
        else keep.push({ name, exitCode: outcome.exitCode, log: outcome.log });
      }
      // An empty list of runs still leaves the artifact, empty: nothing to scan found nothing.
      if (step.stdoutArtifact && !failedOptional) artifacts[step.stdoutArtifact] = Buffer.concat(stdouts);
      if (key && keepable && !failedOptional && keep.length === planned.length) {
        if (reuse!.put(key, { job: run.job.id, at: isoOf(run.now()), runs: keep, output: Buffer.concat(stdouts) })) reuse!.record.stored.push(step.name);
      }
    }
    const distrusted = await verify?.();
    if (distrusted) return finish('error', distrusted);
    // A step that never ran did not pass: "all 6 steps passed" over two skipped scans would claim checks that did not happen.
    const total = run.pipeline.steps.length;
    const passed = total - skipped.length - notRun.length;
    if (notRun.length > 0) details.skippedSteps = notRun;
    const notes = [...(notRun.length ? [`skipped: ${notRun.join(', ')} (nothing to scan)`] : []), ...(skipped.length ? [`optional ${skipped.join('; ')}`] : [])];
    if (notes.length > 0) return finish('success', `${passed} of ${total} steps passed; ${notes.join('; ')}`);
    return finish('success', total ? `all ${total} steps passed` : 'nothing to run');
  } catch (error) {
    // A RefciError carries its fix in the hint: keep it in the one line the report shows.
    return finish('error', `the pipeline failed: ${isRefciError(error) ? error.oneLine() : (error as Error).message}`);
  } finally {
    // What `after` keeps is an optimisation: its failure never changes the verdict.
    await after?.(steps).catch(() => undefined);
    fs.rmSync(scratch, { recursive: true, force: true });
    if (trees) await run.workspace.release(trees);
  }
}

function openReuse(run: PipelineRun, cache: BaseScanCache, trees: PreparedTrees, values: TemplateValues): BaseReuse | undefined {
  return openBaseReuse({
    cache,
    config: run.config,
    pipeline: run.pipeline,
    job: run.job,
    trees,
    tools: run.tools,
    configCommit: run.configCommit,
    values,
    sandboxed: (step) => {
      try {
        return run.wrap?.(step.run, step, trees).sandboxed ?? false;
      } catch {
        return false;
      }
    },
    now: run.now,
  });
}

function stepReport(name: string, argv: string[], outcome: StepOutcome, log: string, sandboxed: boolean): StepReport {
  return {
    name,
    argv,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timedOut: outcome.timedOut,
    cancelled: outcome.cancelled,
    durationMs: outcome.durationMs,
    log,
    logBytes: outcome.logBytes,
    logTruncated: outcome.logTruncated,
    sandboxed,
  };
}

/** Undefined when the step passed; otherwise how the job ends. */
function judgeStep(step: StepConfig, outcome: StepOutcome, run: PipelineRun, sandboxed: boolean): { status: ResultStatus; reason: string; infrastructure?: boolean } | undefined {
  if (outcome.cancelled) return { status: run.abortStatus?.() ?? 'cancelled', reason: run.abortReason() };
  if (outcome.timedOut) return { status: 'error', reason: `step ${step.name} timed out after ${step.timeoutSec}s` };
  const ok = step.okExitCodes ?? [0];
  const passed = !outcome.spawnError && outcome.exitCode !== null && ok.includes(outcome.exitCode);
  const infrastructure = passed ? undefined : infrastructureProblem({
    name: step.name,
    argv: step.run,
    exitCode: outcome.exitCode,
    spawnError: outcome.spawnError,
    sandboxed,
    log: outcome.log.toString('utf8'),
  });
  if (infrastructure) return { status: 'error', reason: infrastructure, infrastructure: true };
  if (step.stdoutArtifact && outcome.stdoutTruncated) {
    return { status: 'error', reason: `step ${step.name} wrote more than ${run.config.artifactCapBytes} bytes; its output was cut` };
  }
  if (passed) return undefined;
  const how = outcome.exitCode === null ? `was killed by ${outcome.signal}` : `exited with ${outcome.exitCode}`;
  // A QA pipeline's verdict comes from its findings; a step that breaks is an error, not a failure.
  const status: ResultStatus = run.pipeline.kind === 'gentoo' ? 'error' : 'failure';
  // pmaint's last line only counts the broken ebuilds; name them and their die messages instead.
  const regen = path.basename(step.run[0] ?? '') === 'pmaint' ? describeRegenFailures(parseRegenFailures(outcome.log.toString('utf8'))) : undefined;
  const said = regen ?? lastLine(outcome.log);
  return { status, reason: `step ${step.name} ${how}${said ? `: ${said}` : ''}` };
}

/** The last thing a failed step said, which is usually why. */
function lastLine(log: Buffer): string {
  const lines = log.toString('utf8').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('[refci:'));
  const last = lines.at(-1) ?? '';
  return last.length > 200 ? `${last.slice(0, 199)}…` : last;
}

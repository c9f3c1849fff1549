import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import type { JobDescriptor } from '../protocol/job.ts';
import type { JobRunner } from '../protocol/job-run.ts';
import { BaseScanCache } from './base-scan-cache.ts';
import { workerHooks, type WorkerHooks } from './kinds.ts';
import { runPipeline, type StepProgress } from './pipeline.ts';
import { Workspace } from './workspace.ts';

export interface JobRunnerOptions {
  stateDir: string;
  /** Step wrapper and pipeline-kind hooks for a configuration (the sandbox and the gentoo scope by default). */
  hooks?: (config: FleetConfig) => Promise<WorkerHooks>;
  /** Each step of a running job starting and ending, for a progress display. */
  onStep?: (job: JobDescriptor, event: StepProgress) => void;
  /** The environment steps run with (and where the sandbox is looked for); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Fetch jobs whose repo is a path or file:// URL on this host; off by default (see Workspace). */
  allowLocalRepos?: boolean;
}

/**
 * The worker's job runner: the pipeline the configuration names, in the
 * worker's workspace, with hooks made once per configuration (probing the
 * sandbox is not free) and made again when the configuration changes.
 */
export function pipelineRunner(options: JobRunnerOptions): JobRunner {
  const workspace = new Workspace(options.stateDir, { allowLocalRepos: options.allowLocalRepos });
  const baseCache = new BaseScanCache(baseScanCacheDir(options.stateDir));
  const hooksFor = options.hooks ?? ((config: FleetConfig) => workerHooks(config, options.stateDir, options.env));
  let cached: { config: FleetConfig; hooks: Promise<WorkerHooks> } | undefined;
  return async (run) => {
    if (cached?.config !== run.config) cached = { config: run.config, hooks: hooksFor(run.config) };
    const hooks = await cached.hooks;
    const pipeline = run.config.pipelines[run.job.pipeline];
    return runPipeline({
      ...run,
      pipeline,
      workspace,
      wrap: hooks.wrap,
      beforeSteps: hooks.beforeSteps[pipeline.kind],
      onStep: options.onStep ? (event) => options.onStep!(run.job, event) : undefined,
      env: options.env,
      baseCache,
    });
  };
}

/** Where a worker keeps the base-tree scans it may reuse (base-scan-cache.ts): in its state folder, which no sandboxed step sees. */
export function baseScanCacheDir(stateDir: string): string {
  return path.join(stateDir, 'base-scan-cache');
}

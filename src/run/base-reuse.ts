import type { FleetConfig, PipelineConfig, StepConfig } from '../config/types.ts';
import type { JobDescriptor } from '../protocol/job.ts';
import type { StepReport } from '../protocol/result.ts';
import type { BaseScanCache, CacheBounds, CachedScan } from './base-scan-cache.ts';
import { baseScanKey, configDigest, notReusable, type BaseScanKey } from './base-scan-key.ts';
import type { TemplateValues } from './template.ts';
import type { PreparedTrees } from './workspace.ts';

/**
 * Which steps of a job may take their output from the base-scan cache, and
 * what the result says about it (`details.baseScanCache`, docs/protocol.md
 * 2.3). A step qualifies when it runs on the base tree once per target list
 * (`{targets}`) and writes its output as an artifact. The cache is used only
 * while every step on the merged tree runs in the sandbox: a pull request's
 * code run outside it has the worker's own rights, and could write the
 * cache as it could write anything else of the worker.
 */
export interface BaseReuseRecord {
  /** Steps whose output came from the cache, and the job whose run made it. */
  reused: Array<{ step: string; fromJob: string; at: string }>;
  /** Steps whose output this job put in the cache. */
  stored: string[];
  /** Why the cache was not used in this job at all. */
  off?: string;
}

export interface BaseReuse {
  record: BaseReuseRecord;
  /** The key of a qualifying step, or undefined when the step does not qualify (the reason is recorded). */
  keyOf(step: StepConfig, targets: string[][], sandboxed: boolean[]): BaseScanKey | undefined;
  get(key: BaseScanKey): CachedScan | undefined;
  /** Whether the entry was kept. */
  put(key: BaseScanKey, scan: CachedScan): boolean;
}

export interface BaseReuseInput {
  cache: BaseScanCache;
  config: FleetConfig;
  pipeline: PipelineConfig;
  job: JobDescriptor;
  trees: PreparedTrees;
  tools: Record<string, string>;
  configCommit?: string;
  values: TemplateValues;
  /** Whether a step runs in the sandbox in this job's trees; false when it cannot be told. */
  sandboxed: (step: StepConfig) => boolean;
  now: () => number;
}

/** Whether a step is one whose output the cache could hold. */
export function isBaseScan(step: StepConfig): boolean {
  return step.tree === 'base' && step.stdoutArtifact !== undefined && step.run.includes('{targets}');
}

/** The job's view of the cache; undefined when the configuration switches it off or no step qualifies. */
export function openBaseReuse(input: BaseReuseInput): BaseReuse | undefined {
  const settings = input.config.gentoo.baseScanCache;
  if (!settings?.enabled || !input.pipeline.steps.some(isBaseScan)) return undefined;
  const record: BaseReuseRecord = { reused: [], stored: [] };
  const bounds: CacheBounds = { maxEntries: settings.maxEntries, maxMB: settings.maxMB };
  const off = whyOff(input);
  if (off) record.off = off;
  const configId = input.configCommit ?? configDigest(input.config);
  return {
    record,
    keyOf(step, targets, sandboxed) {
      if (record.off || !isBaseScan(step)) return undefined;
      const why = notReusable(step);
      if (why) {
        record.off = why;
        return undefined;
      }
      return baseScanKey({
        repo: input.job.repo,
        basis: input.trees.basis,
        pipeline: input.job.pipeline,
        step,
        targets,
        values: input.values,
        sandboxed,
        tools: input.tools,
        config: configId,
      });
    },
    get(key) {
      return input.cache.get(key, input.now());
    },
    put(key, scan) {
      // What the cache keeps is an optimisation: failing to keep it changes nothing of the job.
      try {
        return input.cache.put(key, scan, bounds, input.now());
      } catch {
        return false;
      }
    },
  };
}

function whyOff(input: BaseReuseInput): string | undefined {
  if (input.pipeline.masters && Object.keys(input.pipeline.masters).length > 0) {
    return 'the pipeline has masters, checkouts on this host that may change between jobs';
  }
  const bare = input.pipeline.steps.filter((step) => (step.tree ?? 'merged') === 'merged' && !input.sandboxed(step));
  if (bare.length > 0) return `step ${bare[0].name} runs on the merged tree outside the sandbox`;
  return undefined;
}

/** The line a reused run's log starts with. */
export function reusedLogLine(scan: Pick<CachedScan, 'job' | 'at'>): string {
  return `[refci: output of job ${scan.job} (${scan.at}), reused: same base commit, targets, tool versions, step and configuration]\n`;
}

/**
 * A reused step's runs as this job reports them: its own argument lists, the
 * recorded exit codes, no time spent, and each log as it was after one line
 * naming the job that ran it. Undefined when the entry's runs are not these.
 */
export function reusedRuns(scan: CachedScan, runs: Array<{ name: string; argv: string[]; sandboxed: boolean }>): Array<{ report: StepReport; log: Buffer }> | undefined {
  if (scan.runs.length !== runs.length || scan.runs.some((cached, index) => cached.name !== runs[index].name)) return undefined;
  return runs.map((run, index) => {
    const log = Buffer.concat([Buffer.from(reusedLogLine(scan)), scan.runs[index].log]);
    const report: StepReport = {
      name: run.name,
      argv: run.argv,
      exitCode: scan.runs[index].exitCode,
      signal: null,
      timedOut: false,
      cancelled: false,
      durationMs: 0,
      log: `logs/${run.name}.log`,
      logBytes: log.length,
      logTruncated: false,
      sandboxed: run.sandboxed,
    };
    return { report, log };
  });
}

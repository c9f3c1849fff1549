/**
 * The fleet's configuration: what pipelines exist and how their steps run.
 * Argument templates may use {workdir} {basedir} {outdir} {jobId} {base} {head}
 * {jobs} (CPU count) and, in the gentoo pipeline, {targets} (expands to many
 * arguments).
 */
export interface StepConfig {
  name: string;
  run: string[];
  timeoutSec: number;
  /** Which tree the step runs in: the PR merged onto its base, or the base alone. */
  tree?: 'merged' | 'base';
  /** Save the step's standard output as this artifact (for example outputs/head.jsonl). */
  stdoutArtifact?: string;
  /** Run inside the sandbox when the host has one. */
  sandbox?: boolean;
  /** Exit codes that do not fail the step (pkgcheck exits 1 with --exit when it finds something). */
  okExitCodes?: number[];
  env?: Record<string, string>;
}

export interface PipelineConfig {
  /** `steps`: run the steps as given; `gentoo`: also compute scan targets and diff the QA findings. */
  kind: 'steps' | 'gentoo';
  /** Fetch and merge the PR into a worktree before the steps. */
  checkout: boolean;
  steps: StepConfig[];
  /** Tools whose versions results record (names from `tools`). */
  tools?: string[];
}

export interface ToolConfig {
  versionCommand: string[];
  /** Wanted version; a worker that reports another runs `update` before it claims. */
  want?: string;
  update?: string[];
}

export interface GentooConfig {
  /** Above this many scan targets, scan the whole tree. */
  maxTargets: number;
  countWarnings: boolean;
}

export interface FleetConfig {
  leaseSec: number;
  maxAttempts: number;
  jobTimeoutSec: number;
  logCapBytes: number;
  artifactCapBytes: number;
  sandbox: 'auto' | 'required' | 'off';
  pipelines: Record<string, PipelineConfig>;
  tools: Record<string, ToolConfig>;
  gentoo: GentooConfig;
}

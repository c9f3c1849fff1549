import type { KeywordClassMap } from '../qa/classes.ts';
import type { Excludes } from '../qa/excludes.ts';

/**
 * The fleet's configuration: what pipelines exist and how their steps run,
 * which tool versions they need, and which workers run them. It lives as
 * `config.json` on the coordination repository's `refs/heads/config` branch
 * and is checked by the schema in schema.ts before any host uses it.
 *
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
  /** Feed this artifact of an earlier step to the step's standard input (pkgcheck replay reads a scan this way). */
  stdinArtifact?: string;
  /** Run inside the sandbox when the host has one. */
  sandbox?: boolean;
  /** Exit codes that do not fail the step (pkgcheck exits 1 with --exit when it finds something). */
  okExitCodes?: number[];
  /**
   * A step whose failure (exit code, timeout, output over the cap) does not
   * end the job: it is recorded and its artifact left out. For steps that only
   * add to the report, such as pkgcheck's messages.
   */
  optional?: boolean;
  env?: Record<string, string>;
}

export interface PipelineConfig {
  /** `steps`: run the steps as given; `gentoo`: also compute scan targets and diff the QA findings. */
  kind: 'steps' | 'gentoo';
  /** Fetch and merge the PR into a worktree before the steps. */
  checkout: boolean;
  steps: StepConfig[];
  /**
   * Tools the pipeline needs (names from `tools`). Results record their
   * versions, and a worker claims the pipeline's jobs only while every one
   * with a wanted version (`want`) reports it.
   */
  tools?: string[];
}

export interface ToolConfig {
  versionCommand: string[];
  /**
   * Wanted version, for example `0.10.30`: a token of the first line of
   * `versionCommand`'s output must equal it, or start with it followed by a
   * dot (`0.10` accepts `0.10.30`). A worker that reports another version runs
   * the update command of its host kind before it claims.
   */
  want?: string;
  /** Update command by host kind; `{tool}` and `{want}` in it are replaced. */
  update?: Record<string, string[]>;
}

/** Which pipelines the workers whose id matches a pattern may run, and what kind of host they are. */
export interface WorkerRule {
  /** Host kind: picks the tools' update commands (default `default`). */
  kind?: string;
  /** Pipelines these workers may run (default: all). */
  pipelines?: string[];
}

export interface GentooConfig {
  /** Above this many scan targets, scan the whole tree. */
  maxTargets: number;
  countWarnings: boolean;
  /** Keyword classes (pkgcheck2html.conf.json shape); Gentoo CI's built-in map when absent. */
  classes?: KeywordClassMap;
  /** Excludes (Gentoo CI excludes.json shape). */
  excludes?: Excludes;
}

/**
 * How the main host reaches one forge. Command-line flags win over these.
 * Workers never read them; the token itself is never in the configuration.
 */
export interface ForgeSettings {
  /** API root: GitHub Enterprise (https://host/api/v3), another Forgejo (https://host/api/v1). */
  apiUrl?: string;
  /** Absolute path, on the main host, of a file holding only the token. */
  tokenFile?: string;
  /** The token user's login when the API cannot tell (a GitHub App). */
  login?: string;
  /** Commit status context; also names the report comment. */
  statusContext?: string;
  /** Report link in statuses and comments, with {job}, {shard}, {pr} and {head}. */
  reportUrl?: string;
}

export interface FleetConfig {
  version?: 1;
  leaseSec: number;
  maxAttempts: number;
  jobTimeoutSec: number;
  logCapBytes: number;
  artifactCapBytes: number;
  sandbox: 'auto' | 'required' | 'off';
  /**
   * Sandboxed steps see this uid and gid (bwrap --unshare-user), so tools that
   * refuse or change behaviour as a given user see another; files they write
   * are still the worker's outside. Needs unprivileged user namespaces;
   * without them `auto` sandboxes with the worker's uid.
   */
  sandboxUid?: number;
  /** A worker renews its presence ref at most this often (and when what it can do changes). */
  presenceSec: number;
  /** Limit for one run of a tool's update command. */
  updateTimeoutSec: number;
  /** A failed update for the same wanted version is tried again after this long. */
  updateRetrySec: number;
  pipelines: Record<string, PipelineConfig>;
  tools: Record<string, ToolConfig>;
  /** Worker id (or pattern with `*`) to rule; an exact id wins over patterns, patterns match in order. */
  workers: Record<string, WorkerRule>;
  gentoo: GentooConfig;
  /** Main host settings per forge. */
  forges: { github?: ForgeSettings; codeberg?: ForgeSettings };
}

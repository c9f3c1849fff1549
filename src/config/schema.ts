import * as z from '../protocol/zod.ts';
import { NAME_PATTERN } from '../protocol/ids.ts';
import { MAX_LIVE_LOG_BYTES } from '../protocol/live-log.ts';
import { ALLOWED_SIGNERS_FILE, parseAllowedSigners, type AllowedSigner } from '../protocol/allowed-signers.ts';
import { validateKeywordClasses } from '../qa/classes.ts';
import { validateExcludes } from '../qa/excludes.ts';
import { isRefciError } from '../errors.ts';
import { DEFAULT_PIPELINES, DEFAULT_TOOLS } from './default-pipelines.ts';
import type { FleetConfig } from './types.ts';

/**
 * The schema of `config.json`. Every field is checked before a host uses the
 * configuration; unknown fields are refused (a typo must not be silently
 * ignored); a field left out takes its default. `gentoo.classes` and
 * `gentoo.excludes` may name a file beside config.json instead of holding the
 * map inline; `resolveConfig` reads it.
 */
export const CONFIG_FILE = 'config.json';

const name = z.string().regex(NAME_PATTERN, 'must be a simple name (letters, digits, dot, dash, underscore; at most 64)');
const argv = z.array(z.string().min(1, 'must not be empty').max(4096)).min(1, 'must name a command').max(256);
/** A path inside the configuration tree or the artifact tree: relative, no `..`. */
const relativePath = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/, 'must be a relative path of simple names (no .., no leading /)');
const workerPattern = z.string().regex(/^[A-Za-z0-9*][A-Za-z0-9._*-]{0,63}$/, 'must be a worker id or a pattern with *');

export const stepSchema = z.strictObject({
  name,
  run: argv,
  timeoutSec: z.number().int().min(1).max(7 * 24 * 3600),
  /** Which tree the step runs in: the PR merged onto its base, or the base alone. */
  tree: z.enum(['merged', 'base']).optional(),
  /** Save the step's standard output as this artifact (for example outputs/head.jsonl). */
  stdoutArtifact: relativePath.optional(),
  /** Feed this artifact of an earlier step to the step's standard input (pkgcheck replay reads a scan this way). */
  stdinArtifact: relativePath.optional(),
  /** Run inside the sandbox when the host has one. */
  sandbox: z.boolean().optional(),
  /** Exit codes that do not fail the step (pkgcheck exits 1 with --exit when it finds something). */
  okExitCodes: z.array(z.number().int().min(0).max(255)).optional(),
  /**
   * A step whose failure (exit code, timeout, output over the cap) does not
   * end the job: it is recorded and its artifact left out. For steps that only
   * add to the report, such as pkgcheck's messages.
   */
  optional: z.boolean().optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string()).optional(),
});

/**
 * One master repository of an overlay: a checkout already on every worker
 * (`path`), or a git repository every worker mirrors (`url`, with an optional
 * `branch` or pinned `commit`). Exactly one of the two: a master whose
 * location depends on which field wins would be read differently by workers
 * and by `refci doctor`.
 */
export const masterSchema = z
  .strictObject({
    path: z.string().max(4096).regex(/^\//, 'must be an absolute path on the workers').optional(),
    url: z.string().min(1).max(2048).regex(/^[^-\s][^\s]*$/, 'must be a git URL (no spaces, not starting with -)').optional(),
    branch: z.string().max(255).regex(/^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$/, 'must be a branch name').optional(),
    commit: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full commit id (40 hex digits)').optional(),
  })
  .superRefine((master, ctx) => {
    if ((master.path === undefined) === (master.url === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'must give either path (a checkout on every worker) or url (a git repository the workers mirror), not both or neither' });
    }
    if (master.url === undefined && (master.branch !== undefined || master.commit !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'branch and commit go with url' });
    }
  });

export const pipelineSchema = z.strictObject({
  /** `steps`: run the steps as given; `gentoo`: also compute scan targets and diff the QA findings. */
  kind: z.enum(['steps', 'gentoo']),
  /** Fetch and merge the PR into a worktree before the steps. */
  checkout: z.boolean(),
  steps: z.array(stepSchema).max(64),
  /**
   * Tools the pipeline needs (names from `tools`). Results record their
   * versions, and a worker claims the pipeline's jobs only while every one
   * with a wanted version (`want`) reports it.
   */
  tools: z.array(name).optional(),
  /**
   * gentoo pipelines of an overlay: the master repositories its
   * metadata/layout.conf names (`masters = gentoo`), by name, each with the
   * `path` of a checkout on every worker, or a git `url` each worker
   * mirrors (at the pinned `commit`, else the head of `branch`, else the
   * remote's HEAD, as of the job's start). Scoping reads their categories and
   * eclasses; the worker writes a repos.conf per job naming the tree and these
   * locations, which pmaint and pkgcheck read with `--config {portageconfig}`.
   */
  masters: z.record(name, masterSchema).optional(),
});

export const toolSchema = z.strictObject({
  versionCommand: argv,
  /**
   * Wanted version, for example `0.10.30`: a token of the first line of
   * `versionCommand`'s output must equal it, or start with it followed by a
   * dot (`0.10` accepts `0.10.30`). A worker that reports another version runs
   * the update command of its host kind before it claims.
   */
  want: z.string().regex(/^\S{1,200}$/, 'must be one word, such as 0.10.30').optional(),
  /** Update command by host kind; `{tool}` and `{want}` in it are replaced. */
  update: z.record(name, argv).optional(),
});

/** Which pipelines the workers whose id matches a pattern may run, and what kind of host they are. */
export const workerRuleSchema = z.strictObject({
  /** Host kind: picks the tools' update commands (default `default`). */
  kind: name.optional(),
  /** Pipelines these workers may run (default: all). */
  pipelines: z.array(name).optional(),
});


export const BASE_SCAN_CACHE_DEFAULTS = { enabled: true, maxEntries: 200, maxMB: 256 };

export const baseScanCacheSchema = z.strictObject({
  enabled: z.boolean().default(true),
  maxEntries: z.number().int().min(1).max(100_000).default(BASE_SCAN_CACHE_DEFAULTS.maxEntries),
  maxMB: z.number().int().min(1).max(1024 * 1024).default(BASE_SCAN_CACHE_DEFAULTS.maxMB),
});

export const gentooSchema = z.strictObject({
  /** Above this many scan targets, scan the whole tree. */
  maxTargets: z.number().int().min(1).max(100_000).default(200),
  countWarnings: z.boolean().default(false),
  /**
   * Scan the whole tree for any repository-level change (profiles/,
   * licenses/, metadata/) instead of running only the repository- and
   * category-level checks: those changes can alter the findings of packages
   * nobody touched (package.mask, arch.list, a banned EAPI, a licence).
   */
  escalateRepoLevel: z.boolean().default(false),
  /**
   * Count findings a version bump carries over from the old version (the
   * same finding, but for the version, in the base) as new. By default they
   * are listed in their own section and do not fail the PR.
   */
  countCarriedOver: z.boolean().default(false),
  /** A file name beside config.json, or the map inline. */
  /** Keyword classes (pkgcheck2html.conf.json shape); Gentoo CI's built-in map when absent. */
  classes: z.union([relativePath, z.record(z.string(), z.string())]).optional(),
  /** Excludes (Gentoo CI excludes.json shape). */
  excludes: z.union([relativePath, z.record(z.string(), z.unknown())]).optional(),
  /**
   * Each worker keeps the base tree's scan results in its state folder and
   * reuses them for a later job with the same base commit, targets, tool
   * versions, step and configuration instead of scanning the base again
   * (run/base-scan-cache.ts). The least recently used entries go first once
   * either bound is passed.
   */
  baseScanCache: baseScanCacheSchema.default(() => ({ ...BASE_SCAN_CACHE_DEFAULTS })),
});

const httpUrl = z.string().max(2048).regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL');
/**
 * How the main host reaches one forge. Command-line flags win over these.
 * Workers never read them; the token itself is never in the configuration.
 */
export const forgeSettingsSchema = z.strictObject({
  /** API root: GitHub Enterprise (https://host/api/v3), another Forgejo (https://host/api/v1). */
  apiUrl: httpUrl.optional(),
  /** Absolute path, on the main host, of a file holding only the token. */
  tokenFile: z.string().max(4096).regex(/^\//, 'must be an absolute path on the main host').optional(),
  /** The token user's login when the API cannot tell (a GitHub App). */
  login: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._[\]-]{0,99}$/, 'must be a login name').optional(),
  /** Commit status context; also names the report comment. */
  statusContext: z.string().regex(/^[\x21-\x7e][\x20-\x7e]{0,99}$/, 'must be printable ASCII, at most 100 characters').optional(),
  /** Report link in statuses and comments, with {job}, {shard}, {pr} and {head}. */
  reportUrl: httpUrl.optional(),
});

/**
 * The fleet's configuration: what pipelines exist and how their steps run,
 * which tool versions they need, and which workers run them. It lives as
 * `config.json` on the coordination repository's `refs/heads/config` branch
 * and is checked by this schema before any host uses it.
 *
 * Argument templates may use {workdir} {basedir} {outdir} {jobId} {base} {head}
 * {jobs} (CPU count) and, in the gentoo pipeline, {targets} (expands to many
 * arguments).
 */
export const fleetConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    /**
     * Operators (the name in `operator:<name>` of the coordination
     * repository's ssh gate) who may change this branch; empty: every
     * operator. The repository's hook reads it from the branch as it was
     * before the push (docs/protocol.md, Authorisation).
     */
    admins: z.array(name).max(256).default([]),
    leaseSec: z.number().int().min(1).max(24 * 3600).default(300),
    maxAttempts: z.number().int().min(1).max(20).default(3),
    jobTimeoutSec: z.number().int().min(1).max(7 * 24 * 3600).default(3600),
    /**
     * A job still queued this long after it was enqueued ends as an error
     * (decided by any host's sweep): a job for a pipeline no worker serves
     * must not wait for ever.
     */
    queueTimeoutSec: z.number().int().min(60).max(365 * 24 * 3600).default(24 * 3600),
    logCapBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
    /**
     * A running job's heartbeats carry the last this many bytes of each
     * step's log (the live log `refci logs --follow` shows); 0 carries none.
     */
    liveLogBytes: z.number().int().min(0).max(MAX_LIVE_LOG_BYTES).default(64 * 1024),
    artifactCapBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
    sandbox: z.enum(['auto', 'required', 'off']).default('auto'),
    /**
     * Sandboxed steps see this uid and gid (bwrap --unshare-user), so tools that
     * refuse or change behaviour as a given user see another; files they write
     * are still the worker's outside. Needs unprivileged user namespaces;
     * without them `auto` sandboxes with the worker's uid.
     */
    sandboxUid: z.number().int().min(1).max(2 ** 31 - 1).optional(),
    /**
     * Limits of a sandboxed step (prlimit): `processes` is RLIMIT_NPROC, which
     * counts every process and thread of the step's uid on the host, so keep it
     * above what that user runs besides; `memoryMB` is the address space of each
     * process (RLIMIT_AS), unset by default because Python maps far more than it uses.
     */
    sandboxLimits: z
      .strictObject({
        processes: z.number().int().min(64).max(4_194_304).optional(),
        memoryMB: z.number().int().min(256).max(16 * 1024 * 1024).optional(),
      })
      .default({ processes: 8192 }),
    /**
     * A worker whose last this many jobs all failed because of its host (CI
     * infrastructure problems, handed back unjudged) drains itself until an
     * operator runs `refci worker undrain`; 0 never.
     */
    quarantineAfter: z.number().int().min(0).max(100).default(3),
    /** A worker renews its presence ref at most this often (and when what it can do changes). */
    presenceSec: z.number().int().min(10).max(24 * 3600).default(180),
    /** Limit for one run of a tool's update command. */
    updateTimeoutSec: z.number().int().min(1).max(24 * 3600).default(900),
    /** A failed update for the same wanted version is tried again after this long. */
    updateRetrySec: z.number().int().min(0).max(7 * 24 * 3600).default(1800),
    pipelines: z.record(name, pipelineSchema).default(DEFAULT_PIPELINES),
    tools: z.record(name, toolSchema).default(DEFAULT_TOOLS),
    /** Worker id (or pattern with `*`) to rule; an exact id wins over patterns, patterns match in order. */
    workers: z.record(workerPattern, workerRuleSchema).default({}),
    gentoo: gentooSchema.default({ maxTargets: 200, countWarnings: false, escalateRepoLevel: false, countCarriedOver: false, baseScanCache: { ...BASE_SCAN_CACHE_DEFAULTS } }),
    /**
     * Judged results (success, failure) must be signed by the worker that
     * holds the job's lock, with a key listed in allowed_signers; the
     * collector sets aside any that is not (docs/protocol.md 2.9). Off: an
     * unsigned result is accepted, a bad signature is still refused.
     */
    requireSignatures: z.boolean().default(false),
    /** Main host settings per forge. */
    forges: z.strictObject({ github: forgeSettingsSchema.optional(), codeberg: forgeSettingsSchema.optional() }).default({}),
  })
  .superRefine((config, ctx) => {
    for (const [pipelineName, pipeline] of Object.entries(config.pipelines)) {
      pipeline.tools?.forEach((tool, index) => {
        if (!config.tools[tool]) {
          ctx.addIssue({ code: 'custom', path: ['pipelines', pipelineName, 'tools', index], message: `no tool named ${tool} in tools` });
        }
      });
      const seen = new Set<string>();
      const written = new Set<string>();
      pipeline.steps.forEach((step, index) => {
        if (seen.has(step.name)) {
          ctx.addIssue({ code: 'custom', path: ['pipelines', pipelineName, 'steps', index, 'name'], message: `two steps are named ${step.name}` });
        }
        seen.add(step.name);
        if (step.stdinArtifact !== undefined && !written.has(step.stdinArtifact)) {
          ctx.addIssue({
            code: 'custom',
            path: ['pipelines', pipelineName, 'steps', index, 'stdinArtifact'],
            message: `no earlier step writes ${step.stdinArtifact} (stdoutArtifact)`,
          });
        }
        if (step.stdoutArtifact !== undefined) written.add(step.stdoutArtifact);
      });
    }
    for (const [pattern, rule] of Object.entries(config.workers)) {
      rule.pipelines?.forEach((pipeline, index) => {
        if (!config.pipelines[pipeline]) {
          ctx.addIssue({ code: 'custom', path: ['workers', pattern, 'pipelines', index], message: `no pipeline named ${pipeline} in pipelines` });
        }
      });
    }
  });

export type RawFleetConfig = z.output<typeof fleetConfigSchema>;

/** One reason a configuration is refused: which file, which field, what is wrong. */
export interface ConfigProblem {
  file: string;
  field: string;
  reason: string;
}

export type ConfigCheck = { ok: true; config: FleetConfig } | { ok: false; problems: ConfigProblem[] };

export function describeProblem(problem: ConfigProblem): string {
  // allowed_signers has lines, not fields.
  if (/^line \d+$/.test(problem.field)) return `${problem.file} ${problem.field}: ${problem.reason}`;
  return `${problem.file} field ${problem.field}: ${problem.reason}`;
}

/** The first problem, and how many more: one line for a log. */
export function describeProblems(problems: ConfigProblem[]): string {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}; refci config check lists them)` : '';
  return `${describeProblem(problems[0])}${more}`;
}

function problemsOf(error: z.ZodError, file: string): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const where = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ file, field: [...where, key].join('.'), reason: 'unknown field (a typo?)' }));
    }
    return [{ file, field: where.length ? where.join('.') : '(top level)', reason: issue.message }];
  });
}

export interface ParseOptions {
  /** Name used in problems; `config.json` by default. */
  file?: string;
  /**
   * `whole`: the file is the configuration, fields left out take their
   * defaults (the configuration branch). `overlay`: its pipelines and tools
   * are added to the defaults by name (a local `--config FILE`).
   */
  mode?: 'whole' | 'overlay';
  /** Reads a file beside config.json (named by `gentoo.classes` or `gentoo.excludes`, or allowed_signers); undefined when it does not exist. */
  readFile?: (name: string) => string | undefined;
}

/** Parses and checks a configuration text; never throws for a bad configuration. */
export function checkConfigText(text: string, options: ParseOptions = {}): ConfigCheck {
  const file = options.file ?? CONFIG_FILE;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [{ file, field: '(top level)', reason: `not valid JSON (${(error as Error).message.split('\n')[0]})` }] };
  }
  return checkConfigValue(raw, { ...options, file });
}

export function checkConfigValue(raw: unknown, options: ParseOptions = {}): ConfigCheck {
  const file = options.file ?? CONFIG_FILE;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [{ file, field: '(top level)', reason: 'must be a JSON object' }] };
  }
  const input = options.mode === 'overlay' ? overlayOnDefaults(raw as Record<string, unknown>) : raw;
  const parsed = fleetConfigSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error, file) };
  return resolveConfig(parsed.data, file, options.readFile);
}

function overlayOnDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const base = structuredClone(fleetConfigSchema.parse({})) as unknown as Record<string, Record<string, unknown>>;
  const merged: Record<string, unknown> = { ...base, ...raw };
  for (const key of ['pipelines', 'tools', 'gentoo', 'workers']) {
    const over = raw[key];
    if (over && typeof over === 'object' && !Array.isArray(over)) merged[key] = { ...base[key], ...over };
  }
  return merged;
}

/** The file names a configuration refers to (`gentoo.classes`, `gentoo.excludes`), read before checking it. */
export function referencedFiles(raw: unknown): string[] {
  const gentoo = (raw as { gentoo?: Record<string, unknown> } | null)?.gentoo;
  if (!gentoo || typeof gentoo !== 'object') return [];
  return [gentoo.classes, gentoo.excludes].filter((value): value is string => typeof value === 'string' && relativePath.safeParse(value).success);
}

/**
 * Replaces file names in `gentoo.classes` and `gentoo.excludes` by the checked
 * contents of those files, and reads allowed_signers when it is there.
 */
function resolveConfig(raw: RawFleetConfig, file: string, readFile?: (name: string) => string | undefined): ConfigCheck {
  const problems: ConfigProblem[] = [];
  const load = (field: 'classes' | 'excludes'): unknown => {
    const value = raw.gentoo[field];
    if (typeof value !== 'string') return value;
    const text = readFile ? readFile(value) : undefined;
    if (text === undefined) {
      problems.push({ file, field: `gentoo.${field}`, reason: `names ${value}, which is not beside ${file}` });
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      problems.push({ file: value, field: '(top level)', reason: `not valid JSON (${(error as Error).message.split('\n')[0]})` });
      return undefined;
    }
  };
  const validate = <T>(field: 'classes' | 'excludes', value: unknown, check: (value: unknown, source: string) => T): T | undefined => {
    if (value === undefined) return undefined;
    const source = typeof raw.gentoo[field] === 'string' ? (raw.gentoo[field] as string) : file;
    try {
      return check(value, source);
    } catch (error) {
      if (!isRefciError(error)) throw error;
      const where = typeof raw.gentoo[field] === 'string' ? '(top level)' : `gentoo.${field}`;
      problems.push({ file: source, field: where, reason: error.message.replace(`${source}: `, '').replace(`${source} `, '') });
      return undefined;
    }
  };
  const classes = validate('classes', load('classes'), validateKeywordClasses);
  const excludes = validate('excludes', load('excludes'), validateExcludes);
  const allowedSigners = readSigners(readFile, problems);
  if (problems.length > 0) return { ok: false, problems };
  const { classes: _c, excludes: _e, ...gentoo } = raw.gentoo;
  const config: FleetConfig = {
    ...raw,
    gentoo: { ...gentoo, ...(classes ? { classes } : {}), ...(excludes ? { excludes } : {}) },
    ...(allowedSigners ? { allowedSigners } : {}),
  };
  return { ok: true, config };
}

/** The allowed_signers file beside config.json, checked line by line; undefined when there is none. */
function readSigners(readFile: ((name: string) => string | undefined) | undefined, problems: ConfigProblem[]): AllowedSigner[] | undefined {
  const text = readFile?.(ALLOWED_SIGNERS_FILE);
  if (text === undefined) return undefined;
  const parsed = parseAllowedSigners(text);
  if (parsed.ok) return parsed.signers;
  problems.push(...parsed.problems.map((problem) => ({ file: ALLOWED_SIGNERS_FILE, field: `line ${problem.line}`, reason: problem.reason })));
  return undefined;
}

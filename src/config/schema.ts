import { z } from 'zod';
import { NAME_PATTERN } from '../protocol/ids.ts';
import { validateKeywordClasses } from '../qa/classes.ts';
import { validateExcludes } from '../qa/excludes.ts';
import { isRefciError } from '../errors.ts';
import { defaultConfig } from './defaults.ts';
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

const stepSchema = z.strictObject({
  name,
  run: argv,
  timeoutSec: z.number().int().min(1).max(7 * 24 * 3600),
  tree: z.enum(['merged', 'base']).optional(),
  stdoutArtifact: relativePath.optional(),
  stdinArtifact: relativePath.optional(),
  sandbox: z.boolean().optional(),
  okExitCodes: z.array(z.number().int().min(0).max(255)).optional(),
  optional: z.boolean().optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string()).optional(),
});

const pipelineSchema = z.strictObject({
  kind: z.enum(['steps', 'gentoo']),
  checkout: z.boolean(),
  steps: z.array(stepSchema).max(64),
  tools: z.array(name).optional(),
});

const toolSchema = z.strictObject({
  versionCommand: argv,
  want: z.string().regex(/^\S{1,200}$/, 'must be one word, such as 0.10.30').optional(),
  update: z.record(name, argv).optional(),
});

const workerRuleSchema = z.strictObject({
  kind: name.optional(),
  pipelines: z.array(name).optional(),
});

const defaults = defaultConfig();

const gentooSchema = z.strictObject({
  maxTargets: z.number().int().min(1).max(100_000).default(defaults.gentoo.maxTargets),
  countWarnings: z.boolean().default(defaults.gentoo.countWarnings),
  /** A file name beside config.json, or the map inline. */
  classes: z.union([relativePath, z.record(z.string(), z.string())]).optional(),
  excludes: z.union([relativePath, z.record(z.string(), z.unknown())]).optional(),
});

const httpUrl = z.string().max(2048).regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL');
const forgeSettingsSchema = z.strictObject({
  apiUrl: httpUrl.optional(),
  tokenFile: z.string().max(4096).regex(/^\//, 'must be an absolute path on the main host').optional(),
  login: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._[\]-]{0,99}$/, 'must be a login name').optional(),
  statusContext: z.string().regex(/^[\x21-\x7e][\x20-\x7e]{0,99}$/, 'must be printable ASCII, at most 100 characters').optional(),
  reportUrl: httpUrl.optional(),
});

export const fleetConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    leaseSec: z.number().int().min(1).max(24 * 3600).default(defaults.leaseSec),
    maxAttempts: z.number().int().min(1).max(20).default(defaults.maxAttempts),
    jobTimeoutSec: z.number().int().min(1).max(7 * 24 * 3600).default(defaults.jobTimeoutSec),
    logCapBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(defaults.logCapBytes),
    artifactCapBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(defaults.artifactCapBytes),
    sandbox: z.enum(['auto', 'required', 'off']).default(defaults.sandbox),
    sandboxUid: z.number().int().min(1).max(2 ** 31 - 1).optional(),
    presenceSec: z.number().int().min(10).max(24 * 3600).default(defaults.presenceSec),
    updateTimeoutSec: z.number().int().min(1).max(24 * 3600).default(defaults.updateTimeoutSec),
    updateRetrySec: z.number().int().min(0).max(7 * 24 * 3600).default(defaults.updateRetrySec),
    pipelines: z.record(name, pipelineSchema).default(defaults.pipelines),
    tools: z.record(name, toolSchema).default(defaults.tools),
    workers: z.record(workerPattern, workerRuleSchema).default({}),
    gentoo: gentooSchema.default({ maxTargets: defaults.gentoo.maxTargets, countWarnings: defaults.gentoo.countWarnings }),
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
  /** Reads a file named by `gentoo.classes` or `gentoo.excludes`; undefined when it does not exist. */
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
  const base = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
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

/** Replaces file names in `gentoo.classes` and `gentoo.excludes` by the checked contents of those files. */
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
  if (problems.length > 0) return { ok: false, problems };
  const { classes: _c, excludes: _e, ...gentoo } = raw.gentoo;
  const config: FleetConfig = {
    ...raw,
    gentoo: { ...gentoo, ...(classes ? { classes } : {}), ...(excludes ? { excludes } : {}) },
  };
  return { ok: true, config };
}

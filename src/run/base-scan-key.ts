import { createHash } from 'node:crypto';
import type { StepConfig } from '../config/types.ts';
import { normaliseRepoUrl } from '../protocol/ids.ts';
import { expandArgv, type TemplateValues } from './template.ts';

/**
 * What a scan of the base tree depends on, as one key: a reused scan is only
 * ever the output the same command would print again. The base tree is a
 * commit of the source repository (the job's base or an ancestor of it), not
 * the pull request's code; the pull request chooses only which targets are
 * scanned, and the exact target lists are part of the key. Pure.
 */
export interface BaseScanKeyInput {
  repo: string;
  /** The commit the base tree is (the basis the PR was merged onto). */
  basis: string;
  pipeline: string;
  step: StepConfig;
  /** The step's target lists, one run per list. */
  targets: string[][];
  /** The template values of the job, for the placeholders other than `{basedir}` and `{targets}`. */
  values: TemplateValues;
  /** Per run: whether the step runs in the sandbox. */
  sandboxed: boolean[];
  /** Tool versions as the worker's version probe reported them. */
  tools: Record<string, string>;
  /** The configuration commit, or a digest of a local configuration. */
  config: string;
}

export interface BaseScanKey {
  /** sha256 of `text`: the entry's file name. */
  id: string;
  /** The key itself, canonical JSON, kept in the entry and compared on every read. */
  text: string;
}

/**
 * Placeholders whose value belongs to the job or the pull request, not to the
 * base: a step that uses one prints what no other job would, so it is never
 * reused. `{basedir}` is a fresh folder per job holding the same files.
 */
const JOB_PLACEHOLDERS = ['workdir', 'outdir', 'jobId', 'head'];

/** Why the step's output cannot be reused by another job; undefined when it can. */
export function notReusable(step: StepConfig): string | undefined {
  const used = step.run.flatMap((arg) => [...arg.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]));
  const own = JOB_PLACEHOLDERS.filter((name) => used.includes(name));
  if (own.length > 0) return `step ${step.name} uses ${own.map((name) => `{${name}}`).join(', ')}, which differ from job to job`;
  return undefined;
}

export function baseScanKey(input: BaseScanKeyInput): BaseScanKey {
  const values: TemplateValues = { ...input.values, basedir: '{basedir}' };
  for (const name of JOB_PLACEHOLDERS) delete values[name];
  const key = {
    kind: 'refci-base-scan/1',
    repo: normaliseRepoUrl(input.repo),
    basis: input.basis,
    pipeline: input.pipeline,
    step: input.step,
    runs: input.targets.map((targets, index) => ({ argv: expandArgv(input.step.run, { ...values, targets }), sandboxed: input.sandboxed[index] ?? false })),
    tools: input.tools,
    config: input.config,
  };
  const text = canonicalJson(key);
  return { id: createHash('sha256').update(text).digest('hex'), text };
}

/** A digest that names a configuration given as a local file (no commit). */
export function configDigest(config: unknown): string {
  return `local:${createHash('sha256').update(canonicalJson(config)).digest('hex')}`;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

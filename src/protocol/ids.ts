import { createHash } from 'node:crypto';

/**
 * Job ids appear in ref names, file names and commit messages, so they are
 * restricted to a safe alphabet. Ids made by refci are deterministic: the same
 * source, PR, head and pipeline always give the same id, which makes enqueue
 * idempotent.
 */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isValidJobId(id: string): boolean {
  return JOB_ID_PATTERN.test(id);
}

/** Git-safe identifier for workers, pipelines and tool names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.endsWith('.lock') && !name.includes('..');
}

/** Strips what varies between spellings of one repository URL. */
export function normaliseRepoUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/^https?:\/\/[^/@]*@/, 'https://')
    .toLowerCase();
}

export interface JobIdentity {
  repo: string;
  head: string;
  pipeline: string;
  pr?: number;
  /** Set for a retry so that it gets an id of its own. */
  retry?: number;
}

export function jobIdFor(identity: JobIdentity): string {
  const parts = [
    'refci-job-v1',
    normaliseRepoUrl(identity.repo),
    identity.pr === undefined ? '' : String(identity.pr),
    identity.head.toLowerCase(),
    identity.pipeline,
  ];
  if (identity.retry) parts.push(`retry=${identity.retry}`);
  const digest = createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
  const prefix = identity.pr === undefined ? identity.pipeline.replace(/[^A-Za-z0-9]/g, '').slice(0, 16) || 'job' : `pr${identity.pr}`;
  return `${prefix}-${digest}`;
}

/** Two hex characters that spread history entries over 256 subtrees. */
export function historyShard(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 2);
}

/**
 * The job key groups jobs that supersede one another: a newer job for the same
 * key cancels the older one (graphile-worker's job_key, in git).
 */
export function jobKeyFor(repo: string, pr: number | undefined, pipeline: string): string | undefined {
  if (pr === undefined) return undefined;
  return `${normaliseRepoUrl(repo)}#${pr}:${pipeline}`;
}

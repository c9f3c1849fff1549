import * as z from './zod.ts';
import { commitId, isoTime, safeString } from './codec.ts';
import { oneLine, shortOid } from './messages.ts';
import { defineRecordKind } from './record-kind.ts';
import { jobRef } from './refs.ts';
import { checkRepoUrl } from './repo-url.ts';
import { JOB_ID_PATTERN, NAME_PATTERN, jobIdFor, jobKeyFor } from './ids.ts';
import { RefciError } from '../errors.ts';

/**
 * How the PR head is combined with the base: `base` merges the head onto the
 * base commit named in the job (the target's tip when enqueued); `fork-point`
 * merges onto `git merge-base base head`, as Gentoo's CI does today.
 */
export const MERGE_BASES = ['base', 'fork-point'] as const;

/**
 * Which forge repository a job's pull request lives on, as `<forge>:<owner>/<name>`
 * (`github:gentoo/gentoo`, `codeberg:gentoo/gentoo`): the collector publishes the job there with
 * the settings its own host holds for that forge. Never a URL or a credential.
 */
export const FORGE_ID_PATTERN = /^(github|codeberg):[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;

export function jobForge(kind: 'github' | 'codeberg', repo: string): string {
  return `${kind}:${repo}`;
}

/** `github:gentoo/gentoo` -> { kind: 'github', repo: 'gentoo/gentoo' }; undefined for anything else. */
export function parseJobForge(value: string | undefined): { kind: 'github' | 'codeberg'; repo: string } | undefined {
  if (value === undefined || !FORGE_ID_PATTERN.test(value)) return undefined;
  const at = value.indexOf(':');
  return { kind: value.slice(0, at) as 'github' | 'codeberg', repo: value.slice(at + 1) };
}

export const jobSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(JOB_ID_PATTERN, 'must match [A-Za-z0-9][A-Za-z0-9_-]{0,63}'),
  repo: safeString(1024)
    .min(1)
    .superRefine((repo, ctx) => {
      const check = checkRepoUrl(repo);
      if (!check.ok) ctx.addIssue({ code: 'custom', message: check.reason });
    }),
  base: commitId,
  head: commitId,
  baseRef: safeString(256).optional(),
  headRef: safeString(256).optional(),
  mergeBasis: z.enum(MERGE_BASES).default('base'),
  pr: z.number().int().positive().optional(),
  prUrl: safeString(1024).optional(),
  forge: z.string().regex(FORGE_ID_PATTERN, 'must be <github|codeberg>:<owner>/<name>').optional(),
  pipeline: z.string().regex(NAME_PATTERN, 'must be a simple name'),
  priority: z.number().int().min(-1000).max(1000).default(0),
  createdAt: isoTime,
  maxAttempts: z.number().int().min(1).max(20).default(3),
  timeoutSec: z.number().int().min(1).max(7 * 24 * 3600).default(3600),
  key: safeString(1200).optional(),
  retryOf: z.string().regex(JOB_ID_PATTERN).optional(),
  configCommit: commitId.optional(),
});

export type JobDescriptor = z.output<typeof jobSchema>;
export type JobInput = z.input<typeof jobSchema>;

/** A job descriptor: the root commit of `refs/ci/jobs/<id>`. */
export const JOB = defineRecordKind<JobDescriptor>({
  name: 'job',
  file: 'job.json',
  schema: jobSchema,
  ref: jobRef,
  subject: (job) => {
    const what = job.pr === undefined ? `head ${shortOid(job.head)}` : `PR #${job.pr} head ${shortOid(job.head)}`;
    return oneLine(`enqueue ${job.id}: ${what} onto ${shortOid(job.base)} (pipeline ${job.pipeline}, priority ${job.priority})`, 200);
  },
  trailers: (job) => ({ 'Refci-Job': job.id, 'Refci-Pipeline': job.pipeline }),
});

export interface NewJobInput {
  repo: string;
  base: string;
  head: string;
  pipeline: string;
  createdAt: string;
  pr?: number;
  prUrl?: string;
  /** `github:owner/name`: where the collector publishes the verdict. */
  forge?: string;
  baseRef?: string;
  headRef?: string;
  mergeBasis?: (typeof MERGE_BASES)[number];
  priority?: number;
  maxAttempts?: number;
  timeoutSec?: number;
  retry?: number;
  retryOf?: string;
  configCommit?: string;
}

/** Builds a descriptor with its deterministic id and job key; a bad field is an `invalid-input` error naming it. */
export function newJob(input: NewJobInput): JobDescriptor {
  const id = jobIdFor({ repo: input.repo, head: input.head, pipeline: input.pipeline, pr: input.pr, retry: input.retry });
  const job: JobInput = {
    version: 1,
    id,
    repo: input.repo,
    base: input.base,
    head: input.head,
    baseRef: input.baseRef,
    headRef: input.headRef,
    mergeBasis: input.mergeBasis ?? 'base',
    pr: input.pr,
    prUrl: input.prUrl,
    forge: input.forge,
    pipeline: input.pipeline,
    priority: input.priority ?? 0,
    createdAt: input.createdAt,
    maxAttempts: input.maxAttempts ?? 3,
    timeoutSec: input.timeoutSec ?? 3600,
    key: jobKeyFor(input.repo, input.pr, input.pipeline),
    retryOf: input.retryOf,
    configCommit: input.configCommit,
  };
  const parsed = jobSchema.safeParse(job);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RefciError('invalid-input', `job field ${issue.path.join('.')}: ${issue.message}`, 'correct the value given to enqueue');
  }
  return stripUndefined(parsed.data);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

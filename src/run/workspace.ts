import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { hasCommit } from '../git/cat-file.ts';
import { fetchRefs } from '../git/fetch.ts';
import { initBare } from '../git/init.ts';
import { mergeBase, mergeCommit } from '../git/merge.ts';
import { updateRefs } from '../git/refs.ts';
import { identityEnv } from '../git/identity.ts';
import { addWorktree, resetWorktree } from '../git/worktree.ts';
import { normaliseRepoUrl } from '../protocol/ids.ts';
import { checkRepoUrl } from '../protocol/repo-url.ts';
import type { JobDescriptor } from '../protocol/job.ts';

export interface PreparedTrees {
  /** The PR head merged onto its basis. */
  workdir: string;
  /** The basis alone, for the baseline scan. */
  basedir: string;
  /** The commit the PR was merged onto (the job's base, or the fork point). */
  basis: string;
  merged: string;
}

/**
 * A worker's persistent mirror of each source repository, each with two
 * reusable worktrees of its own (a worktree belongs to one repository: a
 * worker that serves two source repositories must not check one's commits
 * out in the other's worktree). A job fetches only its base and head; the
 * worktrees are reset between jobs instead of cloned again. Ignored files (a
 * regenerated metadata cache) survive the reset, which keeps regeneration
 * incremental.
 */
export class Workspace {
  /** `allowLocalRepos`: fetch from paths and file:// URLs on this host (tests and the demo); off, a job naming one fails before any git call. */
  constructor(
    private readonly root: string,
    private readonly options: { allowLocalRepos?: boolean } = {},
  ) {}

  private keyOf(repo: string): string {
    return createHash('sha256').update(normaliseRepoUrl(repo)).digest('hex').slice(0, 16);
  }

  mirrorOf(repo: string): string {
    return path.join(this.root, 'mirrors', `${this.keyOf(repo)}.git`);
  }

  /** `signal` stops the fetch from the source repository (the job's timeout, a cancel): a server that never answers cannot hold the worker. */
  async prepare(job: JobDescriptor, signal?: AbortSignal): Promise<PreparedTrees> {
    // The job schema checked repo already; checked again here because this is the last step before git sees it.
    checkFetchable(job.repo, this.options.allowLocalRepos ?? false);
    const mirror = await this.ensureMirror(job.repo);
    await this.fetchCommits(mirror, job, signal);
    let basis = job.base;
    if (job.mergeBasis === 'fork-point') {
      basis = await mergeBase(mirror, job.base, job.head);
    }
    const key = this.keyOf(job.repo);
    const workdir = await this.checkout(mirror, key, 'merged', basis);
    const basedir = await this.checkout(mirror, key, 'base', basis);
    const merged = await this.merge(workdir, job, basis);
    return { workdir, basedir, basis, merged };
  }

  private async ensureMirror(repo: string): Promise<string> {
    const mirror = this.mirrorOf(repo);
    if (!fs.existsSync(path.join(mirror, 'HEAD'))) {
      fs.mkdirSync(mirror, { recursive: true });
      await initBare(mirror, { 'gc.auto': '0' });
    }
    return mirror;
  }

  private async fetchCommits(mirror: string, job: JobDescriptor, signal?: AbortSignal): Promise<void> {
    const refspecs: string[] = [];
    if (job.baseRef) refspecs.push(`+${job.baseRef}:refs/refci/base`);
    if (job.headRef) refspecs.push(`+${job.headRef}:refs/refci/head`);
    if (refspecs.length > 0) {
      await fetchRefs(mirror, job.repo, refspecs, { allowFailure: true, signal });
    }
    const missing = [];
    for (const sha of [job.base, job.head]) if (!(await hasCommit(mirror, sha))) missing.push(sha);
    if (missing.length === 0) return;
    // By id: servers that allow it (GitHub does) send just these commits.
    await fetchRefs(mirror, job.repo, missing, { allowFailure: true, signal });
    for (const sha of missing) {
      if (!(await hasCommit(mirror, sha))) {
        throw new RefciError(
          'not-found',
          `commit ${sha} of job ${job.id} cannot be fetched from ${job.repo}`,
          'enqueue with --base/--head given as ref names so workers can fetch them by name',
        );
      }
    }
    // Keep what was fetched reachable from the mirror so a later gc cannot drop it mid-job.
    await updateRefs(mirror, [
      { ref: 'refs/refci/job-base', newOid: job.base },
      { ref: 'refs/refci/job-head', newOid: job.head },
    ]);
  }

  private async checkout(mirror: string, key: string, name: string, commit: string): Promise<string> {
    const dir = path.join(this.root, 'work', key, name);
    if (!fs.existsSync(path.join(dir, '.git'))) {
      fs.rmSync(dir, { recursive: true, force: true });
      await addWorktree(mirror, dir, commit);
      return dir;
    }
    await resetWorktree(dir, commit);
    return dir;
  }

  private async merge(workdir: string, job: JobDescriptor, basis: string): Promise<string> {
    const message = `refci: merge ${job.head.slice(0, 12)} onto ${basis.slice(0, 12)}`;
    const outcome = await mergeCommit(workdir, job.head, message, identityEnv('refci worker', 'worker@refci.invalid'));
    if (!outcome.merged) {
      const { conflicts } = outcome;
      const files = conflicts.length ? `: conflicts in ${conflicts.slice(0, 10).join(', ')}${conflicts.length > 10 ? ', ...' : ''}` : '';
      throw new MergeConflict(`the PR head ${job.head.slice(0, 12)} does not merge onto ${basis.slice(0, 12)}${files}; rebase the PR`);
    }
    return outcome.commit;
  }
}

/** Throws unless `repo` is a URL a worker may hand to git: an allowed transport, no credentials, local only when allowed. */
export function checkFetchable(repo: string, allowLocalRepos: boolean): void {
  const check = checkRepoUrl(repo);
  if (!check.ok) throw new RefciError('invalid-input', `job repo ${JSON.stringify(repo)} ${check.reason}`, 'enqueue the job again with a valid --repo');
  if (check.place === 'local' && !allowLocalRepos) {
    throw new RefciError(
      'invalid-input',
      `job repo ${repo} is a path on this worker, which this worker does not fetch from`,
      'enqueue a network URL, or start the worker with --allow-local-repos (REFCI_ALLOW_LOCAL_REPOS=1) if it should',
    );
  }
}

export class MergeConflict extends Error {}

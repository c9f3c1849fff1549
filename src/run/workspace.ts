import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { git, gitIdentityEnv } from '../git/run.ts';
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
 * A worker's persistent mirror of each source repository and two reusable
 * worktrees. A job fetches only its base and head; the worktrees are reset
 * between jobs instead of cloned again. Ignored files (a regenerated
 * metadata cache) survive the reset, which keeps regeneration incremental.
 */
export class Workspace {
  constructor(private readonly root: string) {}

  mirrorOf(repo: string): string {
    return path.join(this.root, 'mirrors', `${createHash('sha256').update(repo).digest('hex').slice(0, 16)}.git`);
  }

  async prepare(job: JobDescriptor): Promise<PreparedTrees> {
    const mirror = await this.ensureMirror(job.repo);
    await this.fetchCommits(mirror, job);
    let basis = job.base;
    if (job.mergeBasis === 'fork-point') {
      basis = (await git(['merge-base', job.base, job.head], { cwd: mirror })).stdout.trim();
    }
    const workdir = await this.checkout(mirror, 'merged', basis);
    const basedir = await this.checkout(mirror, 'base', basis);
    const merged = await this.merge(workdir, job, basis);
    return { workdir, basedir, basis, merged };
  }

  private async ensureMirror(repo: string): Promise<string> {
    const mirror = this.mirrorOf(repo);
    if (!fs.existsSync(path.join(mirror, 'HEAD'))) {
      fs.mkdirSync(mirror, { recursive: true });
      await git(['init', '--quiet', '--bare', mirror]);
      await git(['config', 'gc.auto', '0'], { cwd: mirror });
    }
    return mirror;
  }

  private async fetchCommits(mirror: string, job: JobDescriptor): Promise<void> {
    const refspecs: string[] = [];
    if (job.baseRef) refspecs.push(`+${job.baseRef}:refs/refci/base`);
    if (job.headRef) refspecs.push(`+${job.headRef}:refs/refci/head`);
    if (refspecs.length > 0) {
      await git(['-c', 'protocol.version=2', 'fetch', '--quiet', '--no-tags', job.repo, ...refspecs], { cwd: mirror, allowFailure: true });
    }
    const missing = [];
    for (const sha of [job.base, job.head]) if (!(await hasCommit(mirror, sha))) missing.push(sha);
    if (missing.length === 0) return;
    // By id: servers that allow it (GitHub does) send just these commits.
    await git(['-c', 'protocol.version=2', 'fetch', '--quiet', '--no-tags', job.repo, ...missing], { cwd: mirror, allowFailure: true });
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
    await git(['update-ref', 'refs/refci/job-base', job.base], { cwd: mirror });
    await git(['update-ref', 'refs/refci/job-head', job.head], { cwd: mirror });
  }

  private async checkout(mirror: string, name: string, commit: string): Promise<string> {
    const dir = path.join(this.root, 'work', name);
    if (!fs.existsSync(path.join(dir, '.git'))) {
      fs.rmSync(dir, { recursive: true, force: true });
      await git(['worktree', 'prune'], { cwd: mirror });
      await git(['worktree', 'add', '--quiet', '--force', '--detach', dir, commit], { cwd: mirror });
      return dir;
    }
    await git(['merge', '--abort'], { cwd: dir, allowFailure: true });
    await git(['checkout', '--quiet', '--force', '--detach', commit], { cwd: dir });
    await git(['clean', '--quiet', '-ffd'], { cwd: dir });
    return dir;
  }

  private async merge(workdir: string, job: JobDescriptor, basis: string): Promise<string> {
    const env = gitIdentityEnv('refci worker', 'worker@refci.invalid');
    const out = await git(['merge', '--no-ff', '--no-edit', '-m', `refci: merge ${job.head.slice(0, 12)} onto ${basis.slice(0, 12)}`, job.head], {
      cwd: workdir,
      env,
      allowFailure: true,
    });
    if (out.exitCode !== 0) {
      const conflicts = (await git(['diff', '--name-only', '--diff-filter=U'], { cwd: workdir, allowFailure: true })).stdout
        .split('\n')
        .filter(Boolean);
      await git(['merge', '--abort'], { cwd: workdir, allowFailure: true });
      const files = conflicts.length ? `: conflicts in ${conflicts.slice(0, 10).join(', ')}${conflicts.length > 10 ? ', ...' : ''}` : '';
      throw new MergeConflict(`the PR head ${job.head.slice(0, 12)} does not merge onto ${basis.slice(0, 12)}${files}; rebase the PR`);
    }
    return (await git(['rev-parse', 'HEAD'], { cwd: workdir })).stdout.trim();
  }
}

export class MergeConflict extends Error {}

async function hasCommit(repo: string, sha: string): Promise<boolean> {
  return (await git(['cat-file', '-e', `${sha}^{commit}`], { cwd: repo, allowFailure: true })).exitCode === 0;
}

import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { hasCommit } from '../git/cat-file.ts';
import { fetchRefs } from '../git/fetch.ts';
import { createPrivateBare } from '../git/init.ts';
import { exportTree } from '../git/export-tree.ts';
import { mergeBase, mergeCommits } from '../git/merge.ts';
import { updateRefs } from '../git/refs.ts';
import { identityEnv } from '../git/identity.ts';
import { removeFolder, removeFolderAsync } from '../host/remove-folder.ts';
import { normaliseRepoUrl } from '../protocol/ids.ts';
import { checkRepoUrl } from '../protocol/repo-url.ts';
import type { JobDescriptor } from '../protocol/job.ts';
import { checkoutUrlMaster, type MasterCheckout, type MasterSpec } from './master-checkout.ts';

export interface PreparedTrees {
  /** The PR head merged onto its basis: a fresh copy with no `.git`, this job's alone. */
  workdir: string;
  /** The basis alone, for the baseline scan: a separate fresh copy. */
  basedir: string;
  /** The commit the PR was merged onto (the job's base, or the fork point). */
  basis: string;
  merged: string;
  /** The repository holding both commits, for git questions about them; never a folder a step sees. */
  gitDir: string;
  /** A folder per tree for the steps' caches, one below it per step, thrown away with the job (a cache kept between jobs, or shared between steps, is a channel for the PR's code). */
  caches: { merged: string; base: string };
  /** The job's folder, holding the trees and caches; `release` removes it. */
  jobDir: string;
  /**
   * git's index of the merged tree as it was written, with each file's stat
   * data: what the steps changed in it is read against this
   * (`changesSinceExport`). In the job's folder, outside every tree a step sees.
   */
  mergedIndex?: string;
  /** The symlinks the merged tree was written with (paths from its root). */
  mergedSymlinks?: string[];
  /** The pipeline's configured masters where this job reads them (a mirrored one at the commit it used); empty without masters. */
  masters?: MasterCheckout[];
}

/** The masters a job's pipeline configures, by name, for `prepare` to bring up to date. */
export interface JobMasters {
  pipeline: string;
  masters: Record<string, MasterSpec>;
}

/**
 * A worker's persistent mirror of each source repository, and a folder per
 * job with fresh copies of the two trees. A job fetches only its base and
 * head into the mirror; the merge happens in the mirror's object store
 * (merge-tree), and each tree is exported from objects into a new folder with
 * no `.git`. So git on the worker never runs in a folder a pipeline step
 * could write, a step cannot plant hooks or configuration for the next job,
 * and the base tree's copy is not the merged tree's.
 */
export class Workspace {
  /** `allowLocalRepos`: fetch from paths and file:// URLs on this host (tests and the demo); off, a job naming one fails before any git call. */
  constructor(
    private readonly root: string,
    private readonly options: { allowLocalRepos?: boolean } = {},
  ) {}

  private cleaned = false;

  mirrorOf(repo: string): string {
    return path.join(this.root, 'mirrors', `${repoKey(repo)}.git`);
  }

  /** `signal` stops the fetch from the source repository (the job's timeout, a cancel): a server that never answers cannot hold the worker. */
  async prepare(job: JobDescriptor, signal?: AbortSignal, masters?: JobMasters): Promise<PreparedTrees> {
    // The job schema checked repo already; checked again here because this is the last step before git sees it.
    checkFetchable(job.repo, this.options.allowLocalRepos ?? false);
    this.removeLeftovers();
    // Masters first: one that cannot be fetched ends the job before the PR is fetched at all.
    const masterCheckouts = masters ? await this.prepareMasters(masters, signal) : [];
    const mirror = await this.ensureMirror(job.repo);
    await this.fetchCommits(mirror, job, signal);
    let basis = job.base;
    if (job.mergeBasis === 'fork-point') {
      basis = await mergeBase(mirror, job.base, job.head);
    }
    const merged = await this.merge(mirror, job, basis);
    const jobDir = path.join(this.root, 'jobs', `${process.pid}-${job.id}-${randomBytes(4).toString('hex')}`);
    const trees: PreparedTrees = {
      workdir: path.join(jobDir, 'merged'),
      basedir: path.join(jobDir, 'base'),
      basis,
      merged,
      gitDir: mirror,
      caches: { merged: path.join(jobDir, 'cache', 'merged'), base: path.join(jobDir, 'cache', 'base') },
      jobDir,
      masters: masterCheckouts,
      mergedIndex: path.join(jobDir, 'merged.index'),
    };
    try {
      // Both trees as committed, so they are compared byte for byte (export-tree.ts).
      trees.mergedSymlinks = (await exportTree(mirror, merged, trees.workdir, { keepIndex: trees.mergedIndex, asCommitted: true })).symlinks;
      await exportTree(mirror, basis, trees.basedir, { asCommitted: true });
      fs.mkdirSync(trees.caches.merged, { recursive: true });
      fs.mkdirSync(trees.caches.base, { recursive: true });
    } catch (error) {
      await this.release(trees);
      throw error;
    }
    return trees;
  }

  /** Removes a job's folder, whatever its steps left in it; the worker's own thread stays free meanwhile (heartbeats). */
  async release(trees: PreparedTrees): Promise<void> {
    await removeFolderAsync(trees.jobDir);
  }

  /**
   * Job folders of workers that are gone (killed mid-job), and the shared
   * work trees of older versions (their `.git` could have been written by a
   * step), are removed before the next job. Folders of a live process stay:
   * two workers may share a state folder.
   */
  private removeLeftovers(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    removeFolder(path.join(this.root, 'work'));
    const jobs = path.join(this.root, 'jobs');
    for (const name of fs.existsSync(jobs) ? fs.readdirSync(jobs) : []) {
      const pid = Number(name.split('-')[0]);
      if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
      removeFolder(path.join(jobs, name));
    }
  }

  /**
   * Each configured master where the job reads it: a `path` master as it is,
   * a `url` master mirrored like a checked repository (the same mirror folder
   * and fetch) and brought to its commit for this job (master-checkout.ts).
   */
  private async prepareMasters(masters: JobMasters, signal?: AbortSignal): Promise<MasterCheckout[]> {
    const out: MasterCheckout[] = [];
    for (const [name, spec] of Object.entries(masters.masters)) {
      if (spec.url === undefined) {
        out.push({ name, path: spec.path! });
        continue;
      }
      out.push(
        await checkoutUrlMaster({
          pipeline: masters.pipeline,
          name,
          spec: { ...spec, url: spec.url },
          mirror: await this.ensureMirror(spec.url),
          copiesRoot: path.join(this.root, 'master-trees', repoKey(spec.url)),
          allowLocalRepos: this.options.allowLocalRepos ?? false,
          signal,
        }),
      );
    }
    return out;
  }

  private async ensureMirror(repo: string): Promise<string> {
    const mirror = this.mirrorOf(repo);
    if (!fs.existsSync(path.join(mirror, 'HEAD'))) {
      createPrivateBare(mirror, { 'gc.auto': '0' });
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

  private async merge(mirror: string, job: JobDescriptor, basis: string): Promise<string> {
    const message = `refci: merge ${job.head.slice(0, 12)} onto ${basis.slice(0, 12)}`;
    const outcome = await mergeCommits(mirror, basis, job.head, message, identityEnv('refci worker', 'worker@refci.invalid'));
    if (!outcome.merged) {
      const { conflicts } = outcome;
      const files = conflicts.length ? `: conflicts in ${conflicts.slice(0, 10).join(', ')}${conflicts.length > 10 ? ', ...' : ''}` : '';
      throw new MergeConflict(`the PR head ${job.head.slice(0, 12)} does not merge onto ${basis.slice(0, 12)}${files}; rebase the PR`);
    }
    // The merge commit is kept reachable for the job's length like the commits it joins.
    await updateRefs(mirror, [{ ref: 'refs/refci/job-merged', newOid: outcome.commit }]);
    return outcome.commit;
  }
}

/** The folder name of a source repository's mirror and caches: one per repository, whatever the spelling of its URL. */
export function repoKey(repo: string): string {
  return createHash('sha256').update(normaliseRepoUrl(repo)).digest('hex').slice(0, 16);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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

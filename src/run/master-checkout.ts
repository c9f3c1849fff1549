import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { hasCommit } from '../git/cat-file.ts';
import { exportTree } from '../git/export-tree.ts';
import { fetchRefsCause } from '../git/fetch.ts';
import { resolveCommit } from '../git/refs.ts';
import { removeFolder } from '../host/remove-folder.ts';
import { checkRepoUrl } from '../protocol/repo-url.ts';
import { scrubSecrets } from '../protocol/scrub.ts';

/** A configured master as a job sees it: where its files are, and for a mirrored one the URL and commit used. */
export interface MasterCheckout {
  name: string;
  /** The repository's files: the configured checkout, or this worker's copy of the mirrored commit. */
  path: string;
  /** A mirrored master's URL, any password redacted. */
  url?: string;
  /** The mirrored master's commit this job used (with the URL, what makes the verdict reproducible). */
  commit?: string;
}

export interface MasterSpec {
  path?: string;
  url?: string;
  branch?: string;
  commit?: string;
}

/** Copies of a master's commits a worker keeps: the current one and the one before (a job of another worker process may still read it). */
const KEPT_COPIES = 2;

/**
 * Brings a `url` master to the commit a job uses and returns where its files
 * are. The mirror is the workspace's mirror of that URL (the same bare
 * repository kind as a checked repository's); the files are exported once
 * per commit into `copiesRoot` and shared read-only by the jobs that use that
 * commit, so a ::gentoo-sized master is not copied for every job. The commit
 * is the pinned `commit`, else the head of `branch` (the remote's HEAD without
 * one) fetched when the job starts.
 */
export async function checkoutUrlMaster(input: {
  pipeline: string;
  name: string;
  spec: MasterSpec & { url: string };
  mirror: string;
  copiesRoot: string;
  allowLocalRepos: boolean;
  signal?: AbortSignal;
}): Promise<MasterCheckout> {
  const { pipeline, name, spec, mirror } = input;
  const shown = scrubSecrets(spec.url);
  const field = `pipelines.${pipeline}.masters.${name}`;
  const unavailable = (cause: string, fix: string) =>
    new RefciError('git', `master ${name} (${shown}) cannot be fetched: ${cause}`, fix, { master: name });
  checkMasterUrl(spec.url, input.allowLocalRepos, field);
  let commit = spec.commit;
  if (!commit || !(await hasCommit(mirror, commit))) {
    const source = spec.branch ? `refs/heads/${spec.branch}` : 'HEAD';
    const cause = await fetchRefsCause(mirror, spec.url, [`+${source}:refs/refci/master`], { signal: input.signal });
    if (cause) throw unavailable(cause, `check ${field}.url${spec.branch ? ` and .branch` : ''} and that this worker can reach it`);
    if (commit && !(await hasCommit(mirror, commit))) {
      // A pinned commit that is no longer on the branch: by id, where the server allows it.
      const byId = await fetchRefsCause(mirror, spec.url, [commit], { signal: input.signal });
      if (byId || !(await hasCommit(mirror, commit))) {
        throw unavailable(`commit ${commit} is not there${byId ? ` (${byId})` : ''}`, `pin a commit of ${spec.branch ?? 'its HEAD'} in ${field}.commit`);
      }
    }
    commit ??= await resolveCommit(mirror, 'refs/refci/master');
    if (!commit) throw unavailable(`${source} is not a commit`, `name a branch in ${field}.branch`);
  }
  return { name, path: await exportedCopy(mirror, commit, input.copiesRoot), url: shown, commit };
}

/** A master's URL may carry credentials (the configuration is the operator's); its form follows the job repo's rules otherwise. */
function checkMasterUrl(url: string, allowLocalRepos: boolean, field: string): void {
  const check = checkRepoUrl(url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1'));
  if (!check.ok) throw new RefciError('invalid-config', `${field}.url ${JSON.stringify(scrubSecrets(url))} ${check.reason}`, `correct ${field}.url`);
  if (check.place === 'local' && !allowLocalRepos) {
    throw new RefciError('invalid-config', `${field}.url is a path on this worker, which this worker does not fetch from`, 'give a network URL, or start the worker with --allow-local-repos if it should');
  }
}

/** The folder holding `commit`'s files, exported when missing; older copies beyond the last few go. */
async function exportedCopy(mirror: string, commit: string, copiesRoot: string): Promise<string> {
  const dir = path.join(copiesRoot, commit);
  if (!fs.existsSync(path.join(dir, '.refci-complete'))) {
    fs.mkdirSync(copiesRoot, { recursive: true });
    const partial = path.join(copiesRoot, `.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await exportTree(mirror, commit, partial);
      fs.writeFileSync(path.join(partial, '.refci-complete'), `${commit}\n`);
      removeFolder(dir);
      fs.renameSync(partial, dir);
    } catch (error) {
      removeFolder(partial);
      // Another worker process exported the same commit at the same time: its copy is as good.
      if (!fs.existsSync(path.join(dir, '.refci-complete'))) throw error;
    }
  }
  const now = new Date();
  fs.utimesSync(dir, now, now);
  const copies = fs
    .readdirSync(copiesRoot)
    .filter((entry) => /^[0-9a-f]{40}$/.test(entry) && entry !== commit)
    .map((entry) => ({ entry, at: fs.statSync(path.join(copiesRoot, entry)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of copies.slice(KEPT_COPIES - 1)) removeFolder(path.join(copiesRoot, old.entry));
  return dir;
}

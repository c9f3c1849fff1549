import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PipelineConfig } from '../config/types.ts';
import type { StepReport } from '../protocol/result.ts';
import { removeFolderAsync } from '../host/remove-folder.ts';
import type { ChangedPath } from '../gentoo/scope.ts';
import { inMetadataCache, METADATA_CACHE_FOLDERS } from '../gentoo/regen-outputs.ts';
import { removeTreeFile, removeTreeFolder } from '../gentoo/tree-files.ts';
import { repoKey } from './workspace.ts';

const CACHE = path.join('metadata', 'md5-cache');

/**
 * The regenerated metadata cache of a source repository, kept between jobs so
 * that `pmaint regen` only redoes what changed (a full regen of ::gentoo takes
 * many minutes). Each job's trees are fresh copies, so the cache is copied in
 * before the steps and taken back only from the base tree after its regen
 * passed: the base is the repository's own commit, never the PR's code, so a
 * PR cannot plant entries that later jobs would trust. A tree that commits its
 * own cache keeps it.
 */
export function metadataCacheOf(stateDir: string, repo: string): string {
  return path.join(stateDir, 'metadata-cache', repoKey(repo), 'md5-cache');
}

/**
 * Copied in this process (31,000 files for ::gentoo, 5 to 15 s): Node's
 * asynchronous copy took six times as long (docs/benchmarks.md).
 */
const copyTree = (from: string, to: string) => fs.cpSync(from, to, { recursive: true, filter: (source) => !fs.lstatSync(source).isSymbolicLink() });

/**
 * Removes from the merged tree the cache entries the pull request itself
 * adds or changes, before regen: pmaint keeps an entry whose checksums match
 * the ebuild and its eclasses, and an entry is only text, so a PR could
 * commit one with the right checksums and other metadata (a licence, the
 * dependencies) for pkgcheck to read instead of the ebuild's. Regen writes
 * them anew. When the base tree has no cache at all (::gentoo's git tree),
 * every entry of the merged tree is the PR's, and the whole folder goes, so
 * that the kept cache seeds it.
 */
export function dropProposedCacheEntries(workdir: string, basedir: string, changes: readonly ChangedPath[]): void {
  // A symlink standing in for a cache folder (or for metadata/ above it) would bring entries from
  // elsewhere in the tree under names no path check sees: it goes, and the cache is written anew.
  for (const folder of ['metadata', ...METADATA_CACHE_FOLDERS]) {
    const at = path.join(workdir, folder);
    if (isSymlink(at)) removeTreeFile(workdir, at);
  }
  if (!fs.existsSync(path.join(basedir, CACHE))) {
    removeTreeFolder(workdir, path.join(workdir, CACHE));
    return;
  }
  for (const change of changes) {
    if (change.status !== 'D' && inMetadataCache(change.path)) removeTreeFile(workdir, path.join(workdir, change.path));
  }
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Copies the kept cache into each tree that has none; symlinks are never
 * copied, and never followed: a tree whose metadata/ is a symlink gets none.
 */
export function seedMetadataCache(kept: string, trees: string[]): void {
  if (!fs.existsSync(kept)) return;
  for (const tree of trees) {
    const target = path.join(tree, CACHE);
    if (fs.existsSync(target) || isSymlink(target) || isSymlink(path.dirname(target))) continue;
    copyTree(kept, target);
  }
}

/** Replaces the kept cache with the base tree's, when every regen of the base passed; says whether it did. */
export async function keepMetadataCache(kept: string, basedir: string, pipeline: PipelineConfig, steps: StepReport[]): Promise<boolean> {
  const regens = pipeline.steps.filter((step) => step.tree === 'base' && path.basename(step.run[0] ?? '') === 'pmaint' && step.run.includes('regen'));
  if (regens.length === 0) return false;
  const passed = regens.every((step) => steps.some((report) => report.name === step.name && report.exitCode === 0));
  const source = path.join(basedir, CACHE);
  if (!passed || !fs.existsSync(source)) return false;
  const fresh = `${kept}.new-${randomBytes(4).toString('hex')}`;
  fs.mkdirSync(path.dirname(kept), { recursive: true });
  copyTree(source, fresh);
  // The old copy is moved aside in one rename and removed after, so a reader never sees the folder missing for long.
  const old = `${kept}.old-${randomBytes(4).toString('hex')}`;
  if (fs.existsSync(kept)) fs.renameSync(kept, old);
  fs.renameSync(fresh, kept);
  await removeFolderAsync(old);
  return true;
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { diffRaw } from '../git/diff.ts';
import { listTreeModes } from '../git/ls-tree.ts';
import { buildInheritIndex, formatInheritIndex, inheritanceFromIndex, parseInheritIndex, stampMasters, updateInheritIndex, type InheritIndex } from '../gentoo/inherit-index.ts';
import type { Inheritance } from '../gentoo/changed-paths.ts';
import { repoKey } from './workspace.ts';

/**
 * The inheritance index a worker keeps for a source repository
 * (src/gentoo/inherit-index.ts says what it holds and why it can be trusted),
 * beside the kept metadata cache and, like it, written only from the base
 * tree of a job whose base regen passed.
 */
export function inheritIndexOf(stateDir: string, repo: string): string {
  return path.join(stateDir, 'metadata-cache', repoKey(repo), 'inherit-index.json');
}

/** The kept index, or why there is none to use. */
export function loadInheritIndex(file: string): { index: InheritIndex } | { unusable: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { unusable: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no index kept yet' : `index unreadable (${(error as Error).message})` };
  }
  const parsed = parseInheritIndex(text);
  return 'corrupt' in parsed ? { unusable: `index corrupt: ${parsed.corrupt}` } : { index: parsed };
}

/**
 * The merged tree's inheritance from the kept index and one `git diff`
 * between the index's commit and `merged`; `fallback` says why the whole tree
 * must be read instead (no index, a corrupt one, a commit the mirror lacks,
 * masters at other commits, symlinks).
 */
export async function inheritanceByIndex(input: {
  file: string;
  gitDir: string;
  merged: string;
  workdir: string;
  masters: ReadonlyArray<{ name: string; commit?: string }>;
}): Promise<{ inheritance: Inheritance; commit: string } | { fallback: string }> {
  const loaded = loadInheritIndex(input.file);
  if ('unusable' in loaded) return { fallback: loaded.unusable };
  let changes;
  try {
    changes = await diffRaw(input.gitDir, loaded.index.commit, input.merged);
  } catch (error) {
    return { fallback: `no diff from the index's commit ${loaded.index.commit}: ${(error as Error).message.split('\n')[0]}` };
  }
  const answer = await inheritanceFromIndex(input.workdir, loaded.index, changes, input.masters);
  return 'fallback' in answer ? answer : { inheritance: answer.inheritance, commit: loaded.index.commit };
}

/**
 * Brings the kept index to `commit`, whose regenerated tree is `basedir`:
 * from the previous index and the diff between the two commits when there is
 * one, else from the whole listing of the commit. Nothing is written when a
 * master has no commit or the tree has symlinks where the scope resolves them
 * (then scoping reads the tree); a previous index is left as it was, still
 * right for its own commit. Says what it did.
 */
export async function refreshInheritIndex(input: {
  file: string;
  gitDir: string;
  basedir: string;
  commit: string;
  masters: ReadonlyArray<{ name: string; path: string; commit?: string }>;
}): Promise<string> {
  const masters = stampMasters(input.masters);
  if (!masters) return 'not kept: a master has no commit';
  const tree = { tree: input.basedir, commit: input.commit, masters, masterPaths: input.masters.map((m) => m.path) };
  const previous = loadInheritIndex(input.file);
  let index: InheritIndex | undefined;
  let how = 'built';
  if ('index' in previous) {
    const same = previous.index.commit === input.commit && JSON.stringify(previous.index.masters) === JSON.stringify(masters);
    if (same) return 'unchanged';
    try {
      index = await updateInheritIndex(previous.index, await diffRaw(input.gitDir, previous.index.commit, input.commit), tree);
      how = `updated from ${previous.index.commit}`;
    } catch {
      index = undefined;
    }
  }
  if (!index) {
    how = 'built';
    index = await buildInheritIndex({ ...tree, files: await listTreeModes(input.gitDir, input.commit) });
  }
  if (!index) return 'not kept: symlinks or submodules in the tree layout';
  const fresh = `${input.file}.new-${randomBytes(4).toString('hex')}`;
  fs.mkdirSync(path.dirname(input.file), { recursive: true });
  fs.writeFileSync(fresh, formatInheritIndex(index));
  fs.renameSync(fresh, input.file);
  return how;
}

import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { git } from './runner.ts';

export interface ExportOptions {
  /** Keep git's index of the copy at this path (outside `dest`), with each file's stat data, for `changesSinceExport`. */
  keepIndex?: string;
  /**
   * Each file exactly as committed: `.gitattributes` files and submodule
   * entries are left out, so no attribute converts a file on the way out
   * (`ident` would let a later edit inside `$Id$` pass for no change) and no
   * empty submodule folder is there for files git would never list.
   */
  asCommitted?: boolean;
}

/**
 * Writes the files of `commit` into the empty folder `dest`, with no `.git`:
 * a fresh copy of a tree for a pipeline step to read and write. The index
 * that `checkout-index` needs is a temporary file beside the repository,
 * never inside `dest`, so nothing in the copy points back at the repository.
 */
export async function exportTree(repo: string, commit: string, dest: string, options: ExportOptions = {}): Promise<{ symlinks: string[] }> {
  fs.mkdirSync(dest, { recursive: true });
  const index = options.keepIndex ?? path.join(repo, `refci-export-${randomUUID()}.index`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await git(['read-tree', '--end-of-options', commit], { cwd: repo, env });
    const symlinks = options.asCommitted ? await dropConvertingEntries(repo, dest, env) : [];
    // --work-tree only names where files go; core.worktree and hooks of `dest` are never read.
    // -u records each file's stat data, so what changes later is found without reading every file again.
    await git([`--work-tree=${dest}`, 'checkout-index', '--all', '--force', ...(options.keepIndex ? ['-u'] : [])], { cwd: repo, env });
    return { symlinks };
  } finally {
    if (!options.keepIndex) fs.rmSync(index, { force: true });
  }
}

/** Removes `.gitattributes` files and submodule entries from the index the copy is written from; returns the paths of its symlinks. */
async function dropConvertingEntries(repo: string, dest: string, env: Record<string, string>): Promise<string[]> {
  const listed = await git(['ls-files', '--stage', '-z'], { cwd: repo, env });
  const drop: string[] = [];
  const symlinks: string[] = [];
  for (const entry of listed.stdout.split('\0')) {
    // <mode> SP <object> SP <stage> TAB <path>
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const file = entry.slice(tab + 1);
    if (entry.startsWith('160000 ') || file === '.gitattributes' || file.endsWith('/.gitattributes')) drop.push(file);
    else if (entry.startsWith('120000 ')) symlinks.push(file);
  }
  // update-index wants a work tree even to remove entries: the mirror is bare, and `dest` is still empty.
  if (drop.length > 0) await git([`--work-tree=${dest}`, 'update-index', '--force-remove', '-z', '--stdin'], { cwd: repo, env, input: `${drop.join('\0')}\0` });
  return symlinks;
}

/**
 * The files of a tree written by `exportTree` with `keepIndex` that have
 * changed, gone or appeared since, sorted, and what git said it could not
 * read (a folder made unreadable hides the files in it from git, which still
 * exits 0). Stat data that differs is checked against the content, so a file
 * only touched is not a change. Paths inside a `.git` folder are never listed.
 */
export async function changesSinceExport(repo: string, index: string, dest: string): Promise<{ changed: string[]; unread: string[] }> {
  const env = { GIT_INDEX_FILE: index };
  const at = [`--work-tree=${dest}`];
  // Exit 1 means "some files need updating" (-q keeps that quiet): the diff below names them.
  const refresh = await git([...at, 'update-index', '-q', '--refresh'], { cwd: repo, env, allowFailure: true });
  const changed = await git([...at, 'diff-files', '--name-only', '-z'], { cwd: repo, env });
  const added = await git([...at, 'ls-files', '--others', '-z'], { cwd: repo, env });
  const names = [...changed.stdout.split('\0'), ...added.stdout.split('\0')].filter(Boolean);
  const unread = [refresh, changed, added].flatMap((out) => out.stderr.split('\n').map((line) => line.trim()).filter(Boolean));
  return { changed: [...new Set(names)].sort(), unread };
}

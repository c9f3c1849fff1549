/**
 * Reading a PR's tree on the host, outside any sandbox: scoping reads
 * ebuilds, eclasses, profiles and the metadata cache of the merged tree. A PR
 * controls that tree, symlinks included (`metadata/layout.conf ->
 * /etc/shadow`, a category folder -> /root), so every read resolves the path
 * first and treats anything that leads outside the tree as absent.
 *
 * Synchronous on purpose: an eclass change reads every ebuild and cache entry
 * of ::gentoo (60,000 small files), and each asynchronous call costs a trip
 * through the thread pool that is longer than the read itself. The callers
 * keep their promises, so nothing else changes if that ever needs revisiting.
 */
import fs from 'node:fs';
import path from 'node:path';

const roots = new Map<string, string>();

function inside(root: string, target: string): boolean {
  try {
    let base = roots.get(root);
    if (!base) {
      base = fs.realpathSync.native(root);
      roots.set(root, base);
      // Only a handful of trees per process: forget the oldest beyond that.
      if (roots.size > 64) roots.delete(roots.keys().next().value!);
    }
    const real = fs.realpathSync.native(target);
    return real === base || real.startsWith(`${base}${path.sep}`);
  } catch {
    return false;
  }
}

/** The file's text, or undefined when it is missing or leads outside `root`. */
export async function readTreeFile(root: string, file: string): Promise<string | undefined> {
  if (!inside(root, file)) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Entry names of a folder, sorted; none when it is missing, not a folder, or outside `root`. */
export async function listTreeDir(root: string, dir: string): Promise<string[]> {
  if (!inside(root, dir)) return [];
  try {
    return fs.readdirSync(dir).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

export async function isTreeDir(root: string, dir: string): Promise<boolean> {
  if (!inside(root, dir)) return false;
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** An entry of a tree folder: `trusted` when it is a plain file or folder (no symlink) inside a folder already known to be inside the tree. */
export interface TreeEntry {
  name: string;
  path: string;
  kind: 'file' | 'dir' | 'link' | 'other';
}

/**
 * Entry names and kinds of a folder, sorted, from one readdir. `dirTrusted`
 * says the folder is already known to be inside the tree (the tree's root, or
 * a plain folder of a trusted folder): then only one realpath is spared, but
 * over ::gentoo's 19,000 package folders that is most of an eclass change's
 * scope. A symlink among the entries is for the caller to resolve with
 * readTreeFile or isTreeDir, which check where it leads.
 */
export async function listTreeEntries(root: string, dir: string, dirTrusted = false): Promise<TreeEntry[]> {
  if (!dirTrusted && !inside(root, dir)) return [];
  let dirents: fs.Dirent[];
  try {
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
  return dirents
    .map((d) => ({ name: d.name, path: path.join(dir, d.name), kind: d.isFile() ? ('file' as const) : d.isDirectory() ? ('dir' as const) : d.isSymbolicLink() ? ('link' as const) : ('other' as const) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The text of an entry of a trusted folder: a plain file is read at once, anything else is checked as readTreeFile does. */
export async function readTreeEntry(root: string, entry: TreeEntry): Promise<string | undefined> {
  if (entry.kind !== 'file') return readTreeFile(root, entry.path);
  try {
    return fs.readFileSync(entry.path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether an entry of a trusted folder is a folder inside the tree (a plain folder, or a symlink that leads to one inside). */
export async function isTreeEntryDir(root: string, entry: TreeEntry): Promise<boolean> {
  if (entry.kind === 'dir') return true;
  if (entry.kind === 'file') return false;
  return isTreeDir(root, entry.path);
}

/**
 * Removes one file or symlink of the tree (never what a symlink leads to),
 * when the folder holding it lies inside `root`; a folder or anything else is
 * left as it is. Says whether something was removed.
 */
export function removeTreeFile(root: string, file: string): boolean {
  if (!inside(root, path.dirname(file))) return false;
  try {
    const stat = fs.lstatSync(file);
    if (!stat.isFile() && !stat.isSymbolicLink()) return false;
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Removes a folder of the tree and all it holds, when it is a real folder inside `root`; a symlink in its place is removed itself. */
export function removeTreeFolder(root: string, dir: string): void {
  if (!inside(root, path.dirname(dir))) return;
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch {
    return;
  }
  // rm never follows a symlink it meets inside the folder: it removes the link.
  if (stat.isSymbolicLink()) fs.unlinkSync(dir);
  else if (stat.isDirectory()) fs.rmSync(dir, { recursive: true, force: true });
}

/** Where each symlink of the tree leads now, as a path from the tree's root; undefined for one that is dangling or leads out of the tree. */
export function treeLinkTargets(root: string, links: readonly string[]): Array<{ link: string; target: string | undefined }> {
  const base = fs.realpathSync.native(root);
  return links.map((link) => {
    try {
      const real = fs.realpathSync.native(path.join(root, link));
      return { link, target: real.startsWith(`${base}${path.sep}`) ? path.relative(base, real).split(path.sep).join('/') : undefined };
    } catch {
      return { link, target: undefined };
    }
  });
}

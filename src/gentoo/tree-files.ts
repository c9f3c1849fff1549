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

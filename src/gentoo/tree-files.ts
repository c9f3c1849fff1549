/**
 * Reading a PR's tree on the host, outside any sandbox: scoping reads
 * ebuilds, eclasses, profiles and the metadata cache of the merged tree. A PR
 * controls that tree, symlinks included (`metadata/layout.conf ->
 * /etc/shadow`, a category folder -> /root), so every read resolves the path
 * first and treats anything that leads outside the tree as absent.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const roots = new Map<string, string>();

async function inside(root: string, target: string): Promise<boolean> {
  try {
    let base = roots.get(root);
    if (!base) {
      base = await fs.realpath(root);
      roots.set(root, base);
      // Only a handful of trees per process: forget the oldest beyond that.
      if (roots.size > 64) roots.delete(roots.keys().next().value!);
    }
    const real = await fs.realpath(target);
    return real === base || real.startsWith(`${base}${path.sep}`);
  } catch {
    return false;
  }
}

/** The file's text, or undefined when it is missing or leads outside `root`. */
export async function readTreeFile(root: string, file: string): Promise<string | undefined> {
  if (!(await inside(root, file))) return undefined;
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

/** Entry names of a folder, sorted; none when it is missing, not a folder, or outside `root`. */
export async function listTreeDir(root: string, dir: string): Promise<string[]> {
  if (!(await inside(root, dir))) return [];
  try {
    return (await fs.readdir(dir)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

export async function isTreeDir(root: string, dir: string): Promise<boolean> {
  if (!(await inside(root, dir))) return false;
  return (await fs.stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

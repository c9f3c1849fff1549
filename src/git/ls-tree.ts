import type { ObjectAccess } from './cat-file.ts';
import { git } from './runner.ts';

export interface TreeListing {
  path: string;
  /** `100644`, `100755`, `120000` (symlink), `160000` (submodule). */
  mode: string;
  /** Bytes of a blob; undefined for a submodule. */
  size?: number;
}

/**
 * Every file of a commit's tree, recursively, with its size: at most `max`
 * entries, so that a hostile tree of a million files costs one git call and
 * `max` rows, not a million.
 */
export async function listTreeFiles(gitdir: string, rev: string, max: number, access: ObjectAccess = {}): Promise<TreeListing[]> {
  const out = await git(['ls-tree', '-r', '-l', '-z', '--full-tree', '--end-of-options', rev], { cwd: gitdir, env: access.env });
  const files: TreeListing[] = [];
  for (const entry of out.stdout.split('\0')) {
    if (files.length >= max) break;
    // <mode> SP <type> SP <object> SP* <size> TAB <path>
    const match = /^(\d{6}) (\w+) [0-9a-f]+ +(-|\d+)\t([\s\S]*)$/.exec(entry);
    if (!match) continue;
    files.push({ path: match[4]!, mode: match[1]!, ...(match[3] === '-' ? {} : { size: Number(match[3]) }) });
  }
  return files;
}

/**
 * Every file of a commit's tree with its mode, recursively, without sizes
 * (`ls-tree -l` looks up every blob; this reads trees only): a ::gentoo commit
 * answers in a fraction of a second.
 */
export async function listTreeModes(gitdir: string, rev: string): Promise<Array<{ path: string; mode: string }>> {
  const out = await git(['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', rev], { cwd: gitdir });
  const files: Array<{ path: string; mode: string }> = [];
  for (const entry of out.stdout.split('\0')) {
    // <mode> SP <type> SP <object> TAB <path>
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    files.push({ path: entry.slice(tab + 1), mode: entry.slice(0, 6) });
  }
  return files;
}

import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { git } from './runner.ts';

/**
 * Writes the files of `commit` into the empty folder `dest`, with no `.git`:
 * a fresh copy of a tree for a pipeline step to read and write. The index
 * that `checkout-index` needs is a temporary file beside the repository,
 * never inside `dest`, so nothing in the copy points back at the repository.
 */
export async function exportTree(repo: string, commit: string, dest: string): Promise<void> {
  fs.mkdirSync(dest, { recursive: true });
  const index = path.join(repo, `refci-export-${randomUUID()}.index`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await git(['read-tree', '--end-of-options', commit], { cwd: repo, env });
    // --work-tree only names where files go; core.worktree and hooks of `dest` are never read.
    await git([`--work-tree=${dest}`, 'checkout-index', '--all', '--force'], { cwd: repo, env });
  } finally {
    fs.rmSync(index, { force: true });
  }
}

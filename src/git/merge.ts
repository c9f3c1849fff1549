import { git } from './runner.ts';

export type MergeOutcome = { merged: true; commit: string } | { merged: false; conflicts: string[] };

/**
 * Merges `head` onto `basis` inside the repository's object store
 * (`git merge-tree --write-tree`, git 2.38 or later) and records the merge as a
 * commit with both as parents. No work tree is involved: the worker's git never
 * runs in a folder that a pipeline step could have written (a planted
 * `.git/config` with `core.hooksPath` would otherwise run on the host).
 */
export async function mergeCommits(repo: string, basis: string, head: string, message: string, env: Record<string, string>): Promise<MergeOutcome> {
  const out = await git(['merge-tree', '--write-tree', '-z', '--name-only', '--no-messages', '--end-of-options', basis, head], { cwd: repo, allowFailure: true });
  // Exit 1 is a conflict: the tree id, then the conflicted paths, NUL-separated. Anything else is git failing.
  if (out.exitCode !== 0 && out.exitCode !== 1) {
    await git(['merge-tree', '--write-tree', '--end-of-options', basis, head], { cwd: repo });
  }
  const [tree, ...paths] = out.stdout.split('\0').filter(Boolean);
  if (out.exitCode === 1) return { merged: false, conflicts: [...new Set(paths)] };
  const commit = await git(['commit-tree', '-p', basis, '-p', head, '-m', message, tree], { cwd: repo, env });
  return { merged: true, commit: commit.stdout.trim() };
}

/** The best common ancestor of two commits. */
export async function mergeBase(repo: string, a: string, b: string): Promise<string> {
  return (await git(['merge-base', '--end-of-options', a, b], { cwd: repo })).stdout.trim();
}

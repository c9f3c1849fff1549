import { git } from './runner.ts';

export type MergeOutcome = { merged: true; commit: string } | { merged: false; conflicts: string[] };

/**
 * Merges `head` into the work tree's checked-out commit with a merge commit.
 * On conflict the merge is aborted and the conflicting paths returned.
 */
export async function mergeCommit(workdir: string, head: string, message: string, env: Record<string, string>): Promise<MergeOutcome> {
  const out = await git(['merge', '--no-ff', '--no-edit', '-m', message, '--end-of-options', head], { cwd: workdir, env, allowFailure: true });
  if (out.exitCode !== 0) {
    const listed = await git(['diff', '--name-only', '--diff-filter=U'], { cwd: workdir, allowFailure: true });
    await git(['merge', '--abort'], { cwd: workdir, allowFailure: true });
    return { merged: false, conflicts: listed.stdout.split('\n').filter(Boolean) };
  }
  return { merged: true, commit: (await git(['rev-parse', 'HEAD'], { cwd: workdir })).stdout.trim() };
}

/** The best common ancestor of two commits. */
export async function mergeBase(repo: string, a: string, b: string): Promise<string> {
  return (await git(['merge-base', '--end-of-options', a, b], { cwd: repo })).stdout.trim();
}

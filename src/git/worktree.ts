import { git } from './runner.ts';

/** Adds a detached work tree of `repo` at `dir`, after pruning records of removed ones. */
export async function addWorktree(repo: string, dir: string, commit: string): Promise<void> {
  await git(['worktree', 'prune'], { cwd: repo });
  await git(['worktree', 'add', '--quiet', '--force', '--detach', '--', dir, commit], { cwd: repo });
}

/** Puts a work tree back to `commit`: an unfinished merge aborted, tracked changes and untracked files gone (ignored files stay). */
export async function resetWorktree(dir: string, commit: string): Promise<void> {
  await git(['merge', '--abort'], { cwd: dir, allowFailure: true });
  // checkout refuses --end-of-options before git 2.43 ("only one reference expected"); the trailing -- keeps the commit a
  // revision, and callers pass only full commit ids (job.json's schema) or refci's own branch names.
  await git(['checkout', '--quiet', '--force', '--detach', commit, '--'], { cwd: dir });
  await git(['clean', '--quiet', '-ffd'], { cwd: dir });
}

/** Switches a work tree to a new branch starting at `start`. */
export async function checkoutNewBranch(dir: string, branch: string, start: string): Promise<void> {
  await git(['checkout', '--quiet', '-b', branch, start, '--'], { cwd: dir });
}

export async function checkoutBranch(dir: string, branch: string): Promise<void> {
  await git(['checkout', '--quiet', branch, '--'], { cwd: dir });
}

/** Commits everything in the work tree (no hooks, no signing) and returns the new commit. */
export async function commitAll(dir: string, message: string, env: Record<string, string>): Promise<string> {
  const settings = ['-c', 'commit.gpgsign=false', '-c', 'core.autocrlf=false'];
  await git([...settings, 'add', '--all'], { cwd: dir, env });
  await git([...settings, 'commit', '--quiet', '--no-verify', '-m', message], { cwd: dir, env });
  return (await git(['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
}

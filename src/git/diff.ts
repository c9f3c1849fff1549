import { git } from './runner.ts';

/**
 * `git diff --name-status -z --no-renames from to`: the raw NUL-separated
 * answer (parsed by the pure scope code). `--no-renames` makes a rename a
 * deletion plus an addition whatever the user's `diff.renames`; `-z` gives raw
 * paths, never quoted.
 */
export async function diffNameStatus(repo: string, from: string, to: string): Promise<string> {
  const out = await git(['-c', 'core.quotePath=false', 'diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', '--end-of-options', from, to, '--'], {
    cwd: repo,
  });
  return out.stdout;
}

import { RefciError } from '../errors.ts';
import { git } from './runner.ts';

/**
 * The files of a commit's tree, among those `pathspecs` select, that hold any
 * of the fixed strings, read from the repository's objects (no checkout),
 * sorted. Fixed strings keep the search linear, however many there are. No
 * match is an empty list, not a failure.
 */
export async function filesContaining(gitdir: string, commit: string, strings: readonly string[], pathspecs: readonly string[], signal?: AbortSignal): Promise<string[]> {
  if (strings.length === 0) return [];
  // git grep takes no --end-of-options before its revision: only an object id is passed there.
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) throw new RefciError('git', `git grep needs a commit id, not ${JSON.stringify(commit)}`, "pass the commit's full object id");
  const args = ['grep', '--no-color', '-I', '-z', '-l', '-F', ...strings.flatMap((text) => ['-e', text]), commit, '--', ...pathspecs];
  const out = await git(args, { cwd: gitdir, allowFailure: true, signal });
  // 1: nothing matched. Anything else is git's own failure, reported as such.
  if (out.exitCode === 1 && out.stderr.trim() === '') return [];
  if (out.exitCode !== 0) await git(args, { cwd: gitdir, signal });
  // With -z -l: <commit>:<path> NUL per file.
  return out.stdout
    .split('\0')
    .filter(Boolean)
    .map((name) => name.slice(name.indexOf(':') + 1))
    .sort();
}

import { RefciError } from '../errors.ts';
import { git } from './runner.ts';

export interface GrepMatch {
  /** The file's path from the tree's root. */
  path: string;
  /** The matched text (`-o`). */
  text: string;
}

/**
 * The matches of extended regular expressions in the files of a commit's
 * tree that `pathspecs` select, read from the repository's objects (no
 * checkout). Only each file's first matching line is read (`--max-count=1`),
 * so a file a pull request fills with matches costs one line. No match is an
 * empty list, not a failure.
 */
export async function grepCommit(gitdir: string, commit: string, patterns: readonly string[], pathspecs: readonly string[]): Promise<GrepMatch[]> {
  if (patterns.length === 0) return [];
  // git grep takes no --end-of-options before its revision: only an object id is passed there.
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) throw new RefciError('git', `git grep needs a commit id, not ${JSON.stringify(commit)}`, 'pass the commit\'s full object id');
  const args = ['grep', '--no-color', '-I', '-z', '-o', '-E', '--max-count=1', ...patterns.flatMap((pattern) => ['-e', pattern]), commit, '--', ...pathspecs];
  const out = await git(args, { cwd: gitdir, allowFailure: true });
  // 1: nothing matched. Anything else is git's own failure.
  if (out.exitCode === 1 && out.stderr.trim() === '') return [];
  if (out.exitCode !== 0) await git(args, { cwd: gitdir });
  const matches: GrepMatch[] = [];
  // With -z: <commit>:<path> NUL <text> LF, one line per match.
  for (const line of out.stdout.split('\n')) {
    const nul = line.indexOf('\0');
    if (nul < 0) continue;
    const name = line.slice(0, nul);
    matches.push({ path: name.slice(name.indexOf(':') + 1), text: line.slice(nul + 1) });
  }
  return matches;
}

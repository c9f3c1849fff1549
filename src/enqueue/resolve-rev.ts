import { RefciError } from '../errors.ts';
import { git } from '../git/run.ts';

const FULL_ID = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Turns `--base`/`--head` into a commit id. A full id is taken as it is; a
 * name is looked up on the source repository with `git ls-remote` (branch,
 * tag or any ref such as refs/pull/12/head), and the ref is kept so workers
 * can fetch it by name.
 */
export async function resolveRev(repo: string, rev: string, flag: string): Promise<{ sha: string; ref?: string }> {
  if (FULL_ID.test(rev)) return { sha: rev };
  const candidates = rev.startsWith('refs/') ? [rev] : [`refs/heads/${rev}`, `refs/tags/${rev}`];
  const out = await git(['ls-remote', repo, ...candidates], { allowFailure: true });
  if (out.exitCode !== 0) {
    throw new RefciError('git', `cannot list refs of ${repo}: ${out.stderr.trim().split('\n').pop()}`, 'check --repo');
  }
  const refs = new Map(
    out.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t').reverse() as [string, string]),
  );
  for (const candidate of candidates) {
    const sha = refs.get(`${candidate}^{}`) ?? refs.get(candidate);
    if (sha) return { sha, ref: candidate };
  }
  throw new RefciError(
    'not-found',
    `${flag} ${rev}: no such branch, tag or ref in ${repo}`,
    `pass a full commit id or a ref that exists (git ls-remote ${repo})`,
  );
}

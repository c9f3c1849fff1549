import { RefciError } from '../errors.ts';
import { lsRemote } from '../git/ls-remote.ts';

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
  const { tips: refs } = await lsRemote(repo, candidates);
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

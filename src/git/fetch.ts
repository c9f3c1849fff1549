import { failureDetail, git } from './runner.ts';
import { scrubSecrets } from '../protocol/scrub.ts';

export interface FetchOptions {
  /** Remove local refs matched by the refspecs that the remote no longer has. */
  prune?: boolean;
  /** Report failure instead of throwing (a fetch of ids some servers refuse). */
  allowFailure?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Protocol v2, so the server sends only the refs that match; no tags, no
 * FETCH_HEAD; and no `git maintenance run --auto` after it, a process per
 * fetch that does nothing in refci's repositories (they pack their own refs).
 */
function fetchArgs(verbosity: '--quiet' | '--no-progress', remote: string, refspecs: string[], options: FetchOptions): string[] {
  return ['-c', 'protocol.version=2', '-c', 'maintenance.auto=false', 'fetch', verbosity, '--no-tags', '--no-write-fetch-head', ...(options.prune ? ['--prune'] : []), '--', remote, ...refspecs];
}

/**
 * Fetches the refspecs (or commit ids) from `remote` with protocol v2, so that
 * the server sends only the refs that match. No tags, no FETCH_HEAD.
 */
export async function fetchRefs(gitdir: string, remote: string, refspecs: string[], options: FetchOptions = {}): Promise<boolean> {
  return (await fetchChanges(gitdir, remote, refspecs, options)).ok;
}

/**
 * fetchRefs, also saying whether any local ref moved, appeared or went: git
 * prints one `old..new ref -> ref` (`[new ref]`, `[deleted]`) line per ref it
 * changed and nothing when the mirror was already up to date. A fetch that
 * finds nothing new sends no pack, so it is also the cheapest poll: one ls-refs
 * of the refspecs' prefixes.
 */
export async function fetchChanges(gitdir: string, remote: string, refspecs: string[], options: FetchOptions = {}): Promise<{ ok: boolean; changed: boolean }> {
  const out = await git(fetchArgs('--no-progress', remote, refspecs, options), { cwd: gitdir, allowFailure: options.allowFailure, timeoutMs: options.timeoutMs, signal: options.signal });
  const changed = out.stderr.split('\n').some((line) => line.includes(' -> '));
  return { ok: out.exitCode === 0, changed };
}

/**
 * Fetches like fetchRefs, but a failure is git's own cause (its error line,
 * any URL password redacted) instead of an exception: for a caller that
 * reports the cause in its own words.
 */
export async function fetchRefsCause(gitdir: string, remote: string, refspecs: string[], options: Omit<FetchOptions, 'allowFailure'> = {}): Promise<string | undefined> {
  const out = await git(fetchArgs('--quiet', remote, refspecs, options), { cwd: gitdir, allowFailure: true, timeoutMs: options.timeoutMs, signal: options.signal });
  if (out.exitCode === 0) return undefined;
  return scrubSecrets(failureDetail(out.stderr) || `git fetch exited with ${out.exitCode}`);
}

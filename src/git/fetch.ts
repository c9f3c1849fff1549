import { git } from './runner.ts';

export interface FetchOptions {
  /** Remove local refs matched by the refspecs that the remote no longer has. */
  prune?: boolean;
  /** Report failure instead of throwing (a fetch of ids some servers refuse). */
  allowFailure?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Fetches the refspecs (or commit ids) from `remote` with protocol v2, so that
 * the server sends only the refs that match. No tags, no FETCH_HEAD.
 */
export async function fetchRefs(gitdir: string, remote: string, refspecs: string[], options: FetchOptions = {}): Promise<boolean> {
  const args = ['-c', 'protocol.version=2', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head'];
  if (options.prune) args.push('--prune');
  args.push('--', remote, ...refspecs);
  const out = await git(args, { cwd: gitdir, allowFailure: options.allowFailure, timeoutMs: options.timeoutMs, signal: options.signal });
  return out.exitCode === 0;
}

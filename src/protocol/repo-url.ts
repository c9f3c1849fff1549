import { normaliseRepoUrl } from './ids.ts';

/** Host and path of a repository URL (`https://host/a/b.git`, `ssh://git@host/a/b`, `git@host:a/b`), lower-case. */
export function repoLocation(url: string): { host: string; path: string } | undefined {
  const text = url.trim();
  const match = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/]+)\/(.*)$/i.exec(text) ?? /^(?:[^@/:]+@)?([^:/]+):(?!\/)(.+)$/.exec(text);
  if (!match) return undefined;
  const host = match[1]!.toLowerCase().replace(/:(22|80|443)$/, '');
  const path = match[2]!.replace(/\/+$/, '').replace(/\.git$/, '').replace(/^\/+/, '').toLowerCase();
  return { host, path };
}

/**
 * True when two URLs name the same repository: same host and path whatever the transport
 * (https, ssh, scp-like), user, `.git` or trailing slash; plain paths must match as normalised.
 */
export function sameRepository(a: string, b: string): boolean {
  const x = repoLocation(a);
  const y = repoLocation(b);
  if (x && y) return x.host === y.host && x.path === y.path;
  return normaliseRepoUrl(a) === normaliseRepoUrl(b);
}

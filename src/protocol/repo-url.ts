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

/**
 * Where a job's source repository is: `remote` (a network transport) or
 * `local` (a path or file:// URL on the worker itself, which only a worker
 * that allows local repositories fetches from).
 */
export type RepoPlace = 'remote' | 'local';

export type RepoUrlCheck = { ok: true; place: RepoPlace } | { ok: false; reason: string };

/** Transports a job may name. `http` and `git` are unauthenticated like `git://` itself; anything else (`ext::`, `fd::`, helpers) is refused. */
const SCHEMES = new Set(['https', 'http', 'ssh', 'git', 'git+ssh', 'ssh+git', 'file']);
/** A host name, an IPv4 address or a bracketed IPv6 address, with an optional port; never starting with `-`. */
const HOST = String.raw`(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?`;
const URL_FORM = new RegExp(String.raw`^([a-z][a-z0-9+.-]*)://(?:([^@/\s]*)@)?(${HOST})?(/\S*)?$`, 'i');
/** scp-like `[user@]host:path`: git reads it as ssh when no slash comes before the colon. */
const SCP_FORM = new RegExp(String.raw`^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?![:/])\S+$`);

/**
 * Checks a job's `repo` before any git command sees it (pure: the job schema
 * and the worker both call it). Git reads an argument that starts with `-` as
 * an option and `<transport>::<address>` as a command to run, so only the
 * listed forms pass; credentials are refused because a job is readable by
 * every host of the fleet.
 */
export function checkRepoUrl(url: string): RepoUrlCheck {
  if (url.startsWith('-')) return { ok: false, reason: 'must not start with - (git would read it as an option)' };
  if (/[\s\u0000-\u001f\u007f]/.test(url.replace(/ /g, ''))) return { ok: false, reason: 'must not hold control characters' };
  const asUrl = URL_FORM.exec(url);
  if (asUrl) {
    const scheme = asUrl[1]!.toLowerCase();
    const userinfo = asUrl[2];
    if (!SCHEMES.has(scheme)) return { ok: false, reason: `scheme ${scheme}:// is not allowed (use https, ssh, git, http, or file:// where local repositories are allowed)` };
    if (scheme === 'file') {
      const onThisHost = asUrl[3] === undefined || asUrl[3].toLowerCase() === 'localhost';
      return onThisHost && asUrl[4] !== undefined ? { ok: true, place: 'local' } : { ok: false, reason: 'a file:// URL must name an absolute path on the worker (file:///path)' };
    }
    if (asUrl[3] === undefined) return { ok: false, reason: `must name a host after ${scheme}://` };
    if (userinfo !== undefined && (userinfo.includes(':') || scheme === 'https' || scheme === 'http')) {
      return { ok: false, reason: 'must not carry credentials (user or password before @); give workers access another way' };
    }
    return { ok: true, place: 'remote' };
  }
  if (url.startsWith('/')) return { ok: true, place: 'local' };
  if (SCP_FORM.test(url)) return { ok: true, place: 'remote' };
  return { ok: false, reason: 'must be an https, ssh, git or http URL, user@host:path, or an absolute path or file:// URL where local repositories are allowed' };
}

/**
 * The URL without its userinfo when it carries credentials (`https://user:token@host/...`,
 * or any user of an http(s) URL), for enqueue to strip before anything is written; undefined when there is nothing to strip.
 */
export function withoutCredentials(url: string): string | undefined {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^@/\s]*)@(.*)$/i.exec(url.trim());
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const userinfo = match[2]!;
  if (!userinfo.includes(':') && !scheme.startsWith('http')) return undefined;
  const user = scheme.startsWith('http') ? '' : `${userinfo.split(':')[0]}@`;
  return `${match[1]}${user}${match[3]}`;
}

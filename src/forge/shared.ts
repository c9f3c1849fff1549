/** Code both clients share: normalising answers, the cached page walk, error wording. */
import { RefciError, isRefciError } from '../errors.ts';
import { DEFAULT_RETRY, type RetryOptions } from './retry.ts';
import { scrub, scrubError } from './token.ts';
import type { IssueComment, PullListCache, PullRequest } from './types.ts';
import { trailingNumber } from './text.ts';

/** The fields refci reads from a pull request; GitHub and Forgejo name them alike. */
export interface RawPull {
  number: number;
  html_url: string;
  title: string;
  state: string;
  merged?: boolean | null;
  merged_at?: string | null;
  draft?: boolean | null;
  user: { login: string } | null;
  labels?: Array<{ name?: string } | string> | null;
  updated_at: string | null;
  head: { ref: string; sha: string; repo?: { clone_url: string } | null };
  base: { ref: string; sha: string; repo?: { clone_url: string } | null };
}

export function normalisePull(raw: RawPull, fallbackCloneUrl: string): PullRequest {
  const cloneUrl = raw.base.repo?.clone_url ?? fallbackCloneUrl;
  return {
    number: raw.number,
    url: raw.html_url,
    title: raw.title,
    state: raw.state === 'open' ? 'open' : 'closed',
    merged: Boolean(raw.merged ?? raw.merged_at),
    draft: Boolean(raw.draft),
    headSha: raw.head.sha,
    headRef: raw.head.ref,
    baseRef: raw.base.ref,
    baseSha: raw.base.sha,
    author: raw.user?.login ?? 'ghost',
    labels: (raw.labels ?? []).map((label) => (typeof label === 'string' ? label : (label.name ?? ''))).filter((name) => name !== ''),
    updatedAt: raw.updated_at ?? '',
    cloneUrl,
    headCloneUrl: raw.head.repo?.clone_url ?? cloneUrl,
    pullRef: `refs/pull/${raw.number}/head`,
  };
}

/** The fields refci reads from a comment. GitHub gives issue_url (API), Forgejo issue_url or pull_request_url (web). */
export interface RawComment {
  id: number | bigint;
  html_url: string;
  issue_url?: string | null;
  pull_request_url?: string | null;
  user: { login: string } | null;
  body?: string | null;
  created_at: string;
  updated_at: string;
}

export function normaliseComment(raw: RawComment, isPull: boolean): IssueComment {
  const prNumber = trailingNumber(raw.pull_request_url) ?? trailingNumber(raw.issue_url) ?? trailingNumber(raw.html_url) ?? 0;
  return {
    id: Number(raw.id),
    prNumber,
    isPull,
    author: raw.user?.login ?? 'ghost',
    body: raw.body ?? '',
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    url: raw.html_url,
  };
}

export function byUpdate(a: IssueComment, b: IssueComment): number {
  return Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || a.id - b.id;
}

/** One page as the client got it. */
export type PageAnswer =
  | {
      notModified: false;
      pulls: PullRequest[];
      etag: string | null;
      hasNext: boolean;
      /** The list's length as this answer counted it (Forgejo's X-Total-Count), when told. */
      total?: number;
      /** The last page as this answer's Link header named it, when it did. */
      last?: number;
    }
  | { notModified: true };

/** Pages after which refci stops following "next": 100 pages of 100 is far beyond any real repository. */
const MAX_PAGES = 100;

/**
 * Walks the pages of the open pull-request list, asking each page conditionally when the cache
 * has its ETag. A 304 page is taken from the cache. The cache is rewritten in place.
 */
export async function listPullsCached(
  cache: PullListCache | undefined,
  key: string,
  perPage: number,
  fetchPage: (page: number, etag: string | null) => Promise<PageAnswer>,
): Promise<PullRequest[]> {
  const usable = cache && cache.version === 1 && cache.key === key ? cache.pages : [];
  const pages: PullListCache['pages'] = [];
  // Signs that the list changed while it was read page by page (then a pull request may have
  // slid from a page not yet read onto one already read, and was never seen).
  const totals = new Set<number>();
  const lasts = new Set<number>();
  let shortPage = false;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const cached = usable[page - 1];
    const answer = await fetchPage(page, cached?.etag ?? null);
    let entry: PullListCache['pages'][number];
    if (answer.notModified) {
      if (!cached) throw new RefciError('forge', `the forge answered 304 Not Modified to an unconditional request for page ${page}`, 'report this; drop the cache file and retry');
      // The page body is the same; a page that was full may have a new page after it now.
      entry = { ...cached, hasNext: cached.hasNext || cached.pulls.length >= perPage };
    } else {
      entry = { etag: answer.etag, pulls: answer.pulls, hasNext: answer.hasNext };
      if (answer.total !== undefined) totals.add(answer.total);
      if (answer.last !== undefined) lasts.add(answer.last);
    }
    pages.push(entry);
    if (!entry.hasNext || entry.pulls.length === 0) break;
    if (entry.pulls.length < perPage) shortPage = true;
  }
  // Items move between pages while they are read; keep one of each number.
  const seen = new Map<number, PullRequest>();
  let repeated = false;
  for (const page of pages) {
    for (const pull of page.pulls) {
      if (seen.has(pull.number)) repeated = true;
      else seen.set(pull.number, pull);
    }
  }
  const lastRead = pages.length;
  const changed =
    repeated || shortPage || totals.size > 1 || lasts.size > 1 || [...lasts].some((last) => last !== lastRead) || [...totals].some((total) => total !== seen.size);
  if (cache) {
    cache.version = 1;
    cache.key = key;
    cache.pages = pages;
    cache.changedDuringWalk = changed;
  }
  return [...seen.values()].filter((pull) => pull.state === 'open');
}

export function retryOptions(partial: Partial<RetryOptions> | undefined): RetryOptions {
  return { ...DEFAULT_RETRY, ...partial };
}

/** A failed HTTP answer, thrown inside a client and turned into a RefciError at its edge. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string | undefined>,
    readonly serverMessage: string,
  ) {
    super(`HTTP ${status}: ${serverMessage}`);
    this.name = 'HttpFailure';
  }
}

export interface ErrorContext {
  forgeName: string;
  repo: string;
  /** Where the token came from, e.g. `GITHUB_TOKEN`. */
  tokenSource: string;
  secrets: readonly string[];
}

/**
 * Any error from a forge call as a RefciError whose text never holds the token.
 * `what` names the call, e.g. `GET /repos/gentoo/gentoo/pulls/12`.
 */
export function toForgeError(error: unknown, what: string, context: ErrorContext): RefciError {
  const { forgeName, repo, tokenSource, secrets } = context;
  if (isRefciError(error)) return scrubError(error, secrets);
  let refci: RefciError;
  if (error instanceof HttpFailure) {
    const said = error.serverMessage ? ` ${error.serverMessage.slice(0, 300)}` : '';
    const status = error.status;
    const details = { status, request: what };
    if (status === 401) {
      refci = new RefciError('forge', `${forgeName} rejected the token from ${tokenSource} (401${said}) for ${what}`, `check ${tokenSource}: the token may be wrong, expired or revoked`, details);
    } else if (status === 403) {
      refci = new RefciError('forge', `${forgeName} refused ${what} (403${said})`, `the token from ${tokenSource} lacks a permission on ${repo}; docs/forge.md lists the scopes refci needs`, details);
    } else if (status === 404) {
      refci = new RefciError('not-found', `${forgeName} found nothing for ${what} (404${said})`, `check the repository name ${repo} and that the token from ${tokenSource} can see it`, details);
    } else if (status === 0) {
      refci = new RefciError('forge', `${forgeName} could not be reached for ${what}: ${error.serverMessage}`, 'check the network and the API URL', details);
    } else {
      refci = new RefciError('forge', `${forgeName} answered ${status} to ${what}${said ? ` (${said.trim()})` : ''}`, `see the message; if it persists, check ${forgeName}'s status`, details);
    }
  } else {
    const message = error instanceof Error ? error.message : String(error);
    refci = new RefciError('forge', `${forgeName} request ${what} failed: ${message.slice(0, 300)}`, 'check the network and the API URL');
  }
  return scrubError(refci, secrets);
}

/** A 404 on a pull request, worded for the reader. */
export function pullNotFound(error: unknown, number: number, context: ErrorContext): unknown {
  if (isRefciError(error) && error.code === 'not-found') {
    return new RefciError('not-found', `pull request #${number} does not exist on ${context.forgeName} ${context.repo}`, 'check the pull request number', error.details);
  }
  return error;
}

export function messageOf(data: unknown): string {
  if (typeof data === 'string') return data.slice(0, 300);
  if (data && typeof data === 'object' && 'message' in data && typeof (data as { message: unknown }).message === 'string') {
    return (data as { message: string }).message;
  }
  return '';
}

export function scrubLog(log: ((line: string) => void) | undefined, secrets: readonly string[]): ((line: string) => void) | undefined {
  return log ? (line) => log(scrub(line, secrets)) : undefined;
}

export function checkSha(sha: string, forgeName: string): void {
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) {
    // The value is not echoed: whatever was passed by mistake (a token?) stays out of logs.
    throw new RefciError('usage', `the commit given for a ${forgeName} status is not a hexadecimal commit id (${sha.length} characters)`, "pass the pull request's head commit id");
  }
}

export function splitRepo(repo: string): { owner: string; name: string } {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(repo);
  if (!match) throw new RefciError('usage', `repository ${JSON.stringify(repo)} is not of the form owner/name`, 'give the repository as owner/name, e.g. gentoo/gentoo');
  return { owner: match[1]!, name: match[2]! };
}

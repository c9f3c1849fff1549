import type { WritePacer } from './pacer.ts';
import type { RetryOptions } from './retry.ts';
import type { ForgeToken } from './token.ts';

/**
 * The forge layer: one interface for GitHub and Codeberg (or any Forgejo), used by discovery
 * (which pull requests need a job) and publishing (commit statuses and the report comment).
 * Only the main host builds a Forge: it is the only one holding forge tokens.
 */

/** Which forge; also picks the token variable (GITHUB_TOKEN / CODEBERG_TOKEN). */
export type ForgeKind = 'github' | 'codeberg';

export const FORGE_NAMES: Record<ForgeKind, string> = { github: 'GitHub', codeberg: 'Codeberg' };

/** The commit status context refci posts under unless told otherwise (Gentoo's CI uses the same). */
export const DEFAULT_STATUS_CONTEXT = 'gentoo-ci';

/** A pull request, the same on every forge. */
export interface PullRequest {
  number: number;
  /** The pull request's web page. */
  url: string;
  title: string;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  headSha: string;
  headRef: string;
  baseRef: string;
  baseSha: string;
  /** Login of the pull request's author. */
  author: string;
  labels: string[];
  /** ISO 8601, as the forge gave it. */
  updatedAt: string;
  /** Clone URL of the base repository (the one the pull request targets). */
  cloneUrl: string;
  /**
   * Clone URL of the repository holding the head branch (usually a fork). When the fork is gone
   * this is the base repository's URL: fetch `pullRef` from it, which works on both forges.
   */
  headCloneUrl: string;
  /** `refs/pull/<n>/head` on the base repository; both GitHub and Forgejo publish it. */
  pullRef: string;
}

export type StatusState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  state: StatusState;
  /** Names the check, e.g. `refci/pkgcheck`; a later status with the same context replaces it. */
  context: string;
  /** One line; cut to 140 characters (GitHub's limit) by setStatus. */
  description: string;
  /** Where the status links to (the report). */
  targetUrl?: string;
}

/** An issue or pull-request conversation comment. */
export interface IssueComment {
  id: number;
  /** The issue or pull request the comment is on. */
  prNumber: number;
  /** False for comments on plain issues (the repository-wide listing returns both). */
  isPull: boolean;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  url: string;
}

export interface UpsertResult {
  action: 'created' | 'updated' | 'unchanged';
  commentId: number;
  url: string;
  /** The body the comment had before ('updated', 'unchanged'); it tells the verdict it showed. */
  previousBody?: string;
}

/**
 * What refci keeps between polls so that an unchanged pull-request list costs nothing:
 * one entry per page with the ETag the forge sent and the page's pull requests.
 * Plain JSON: the caller stores it (e.g. in the host's state dir) and passes it back next time.
 */
export interface PullListCache {
  version: 1;
  /** Forge, repository and page size the pages belong to; a cache for other ones is ignored. */
  key?: string;
  pages: Array<{ etag: string | null; pulls: PullRequest[]; hasNext: boolean }>;
  /**
   * Set by the last walk: the list changed while it was read (the count or the last page moved,
   * a pull request came twice). Then a pull request missing from it may still be open, so the
   * walk is no ground for cancelling anything.
   */
  changedDuringWalk?: boolean;
}

export function emptyPullListCache(): PullListCache {
  return { version: 1, pages: [] };
}

export interface Forge {
  readonly kind: ForgeKind;
  /** `owner/name` of the repository this forge object talks about. */
  readonly repo: string;
  /** Its clone URL as derived from the API URL (`https://github.com/owner/name.git`). */
  readonly cloneUrl: string;

  /**
   * All open pull requests, oldest first. With a cache, each page is asked for conditionally
   * (If-None-Match): an unchanged page answers 304, costs no rate limit, and is read from the
   * cache. The cache object is updated in place; persist it after the call. The list is read
   * page by page: a pull request closed meanwhile shifts the later pages, so an open one can be
   * missing; confirm with getPull before acting on an absence.
   */
  listOpenPulls(cache?: PullListCache): Promise<PullRequest[]>;

  /** One pull request, open or closed. Throws RefciError 'not-found' when it does not exist. */
  getPull(number: number): Promise<PullRequest>;

  /** Sets a commit status on `sha` (the description is cut to 140 characters). */
  setStatus(sha: string, status: CommitStatus): Promise<void>;

  /**
   * Keeps one comment per pull request and marker: finds the token user's comment containing
   * `marker`, edits it when its body differs, creates it when absent. The marker is put on the
   * first line of the body when the body does not contain it. A second call with the same body
   * changes nothing ('unchanged').
   */
  upsertComment(prNumber: number, marker: string, body: string): Promise<UpsertResult>;

  /**
   * Posts a new comment (the forge notifies the pull request's participants, which an edit does
   * not). refci uses it only for the short notice of a changed verdict.
   */
  postComment(prNumber: number, body: string): Promise<{ commentId: number; url: string }>;

  /**
   * Repository-wide issue and pull-request comments updated at or after `since` (ISO 8601),
   * oldest update first; one request per page.
   */
  listCommentsSince(since: string): Promise<IssueComment[]>;

  /** May `user` ask for a /recheck on a pull request by `prAuthor`? (author, or write/maintain/admin) */
  canTrigger(user: string, prAuthor: string): Promise<boolean>;

  /** Login of the token's user (asked once, then remembered). */
  whoami(): Promise<string>;
}

/** Options shared by both implementations. */
export interface ForgeOptions {
  /** `owner/name`. */
  repo: string;
  /** The token; a ForgeToken (from resolveToken) or the raw string. */
  token: ForgeToken | string;
  /** API root: https://api.github.com, https://ghe.example/api/v3, https://codeberg.org/api/v1. */
  apiUrl?: string;
  /** Accept an http:// API root (a forge on 127.0.0.1 in tests); otherwise only https carries the token. */
  allowHttp?: boolean;
  /** Page size for lists (GitHub up to 100, Forgejo usually up to 50). */
  perPage?: number;
  /** Retry and rate-limit behaviour; tests inject sleep and clock here. */
  retry?: Partial<RetryOptions>;
  /**
   * Spaces this client's writes (POST, PATCH, PUT, DELETE). Pass one pacer to every client of
   * a forge that uses the same token, so their writes are spaced together; without one each
   * client has its own, gap `retry.writeGapMs` on the retry options' clock.
   */
  pacer?: WritePacer;
  /** Where warnings go (waits for rate limits, retries). Never given the token. */
  log?: (line: string) => void;
  userAgent?: string;
  /**
   * Login of the token's user when GET /user cannot tell it (a GitHub App installation token
   * comments as `<app>[bot]`). Without it refci asks GET /user once.
   */
  login?: string;
}

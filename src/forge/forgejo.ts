import { RefciError, isRefciError } from '../errors.ts';
import { assertApiOrigin, checkedApiUrl } from './api-origin.ts';
import { type RetryContext, withRetries } from './retry.ts';
import {
  byUpdate,
  checkSha,
  HttpFailure,
  listPullsCached,
  messageOf,
  normaliseComment,
  normalisePull,
  pullNotFound,
  retryOptions,
  scrubLog,
  splitRepo,
  toForgeError,
  type ErrorContext,
  type RawComment,
  type RawPull,
} from './shared.ts';
import { cutDescription, lastPage, linkNext, sameBody, sameLogin, withMarker } from './text.ts';
import { isMutating, WritePacer } from './pacer.ts';
import { tokenValue } from './token.ts';
import type { CommitStatus, Forge, ForgeOptions, IssueComment, PullListCache, PullRequest, UpsertResult } from './types.ts';

export const CODEBERG_API = 'https://codeberg.org/api/v1';

/** Forgejo's comment shape: `pull_request_url` is set on pull requests, `issue_url` on issues. */
interface ForgejoComment extends RawComment {
  id: number;
  pull_request_url: string;
  issue_url: string;
}

interface Answer<T> {
  status: number;
  headers: Headers;
  data: T;
}

interface CallOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answer 304 instead of failing (conditional GET). */
  allowNotModified?: boolean;
}

/** Codeberg or any Forgejo (also Gitea) through its API v1 with plain fetch. */
export class ForgejoForge implements Forge {
  readonly kind = 'codeberg' as const;
  readonly repo: string;
  readonly #owner: string;
  readonly #name: string;
  readonly #apiUrl: string;
  readonly #api: URL;
  readonly #token: string;
  readonly #perPage: number;
  readonly #errors: ErrorContext;
  readonly #retry: RetryContext;
  readonly #pacer: WritePacer;
  readonly #userAgent: string;
  #login: string | undefined;

  constructor(options: ForgeOptions) {
    const { owner, name } = splitRepo(options.repo);
    this.repo = options.repo;
    this.#owner = owner;
    this.#name = name;
    this.#apiUrl = (options.apiUrl ?? CODEBERG_API).replace(/\/+$/, '');
    this.#api = checkedApiUrl(this.#apiUrl, 'Codeberg', options.allowHttp ?? false);
    this.#token = tokenValue(options.token);
    this.#perPage = Math.min(100, Math.max(1, options.perPage ?? 50));
    this.#login = options.login;
    this.#userAgent = options.userAgent ?? 'refci';
    const tokenSource = typeof options.token === 'string' ? 'CODEBERG_TOKEN or the token file' : options.token.source;
    this.#errors = { forgeName: 'Codeberg', repo: options.repo, tokenSource, secrets: [this.#token] };
    const retryPolicy = retryOptions(options.retry);
    this.#retry = { options: retryPolicy, forgeName: 'Codeberg', onWait: scrubLog(options.log, [this.#token]) };
    this.#pacer = options.pacer ?? new WritePacer(retryPolicy.writeGapMs, retryPolicy);
  }

  async listOpenPulls(cache?: PullListCache): Promise<PullRequest[]> {
    const key = `codeberg ${this.#apiUrl} ${this.repo} ${this.#perPage}`;
    return listPullsCached(cache, key, this.#perPage, async (page, etag) => {
      const answer = await this.#request<RawPull[]>('GET', this.#repoPath('/pulls'), {
        query: { state: 'open', sort: 'oldest', page, limit: this.#perPage },
        headers: etag ? { 'if-none-match': etag } : {},
        allowNotModified: Boolean(etag),
      });
      if (answer.status === 304) return { notModified: true };
      const pulls = answer.data.map((raw) => normalisePull(raw, this.#cloneUrl()));
      const total = Number(answer.headers.get('x-total-count') ?? Number.NaN);
      return {
        notModified: false,
        pulls,
        etag: answer.headers.get('etag'),
        hasNext: this.#hasNext(answer.headers, pulls.length),
        ...(Number.isInteger(total) ? { total } : {}),
        last: lastPage(answer.headers.get('link')),
      };
    });
  }

  async getPull(number: number): Promise<PullRequest> {
    try {
      const { data } = await this.#request<RawPull>('GET', this.#repoPath(`/pulls/${number}`));
      return normalisePull(data, this.#cloneUrl());
    } catch (error) {
      throw pullNotFound(error, number, this.#errors);
    }
  }

  async setStatus(sha: string, status: CommitStatus): Promise<void> {
    checkSha(sha, 'Codeberg');
    await this.#request('POST', this.#repoPath(`/statuses/${sha}`), {
      body: {
        state: status.state,
        context: status.context,
        description: cutDescription(status.description),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      },
    });
  }

  async upsertComment(prNumber: number, marker: string, body: string): Promise<UpsertResult> {
    const wanted = withMarker(marker, body);
    const me = await this.whoami();
    let existing: ForgejoComment | undefined;
    // Forgejo returns all comments of an issue at once; follow pages anyway should it paginate.
    for (let page = 1; page <= 100 && !existing; page++) {
      const answer = await this.#request<ForgejoComment[]>('GET', this.#repoPath(`/issues/${prNumber}/comments`), page > 1 ? { query: { page } } : {});
      existing = answer.data.find((comment) => comment.user && sameLogin(comment.user.login, me) && (comment.body ?? '').includes(marker));
      if (!linkNext(answer.headers.get('link')) || answer.data.length === 0) break;
    }
    if (existing) {
      const previousBody = existing.body ?? '';
      if (sameBody(previousBody, wanted)) return { action: 'unchanged', commentId: existing.id, url: existing.html_url, previousBody };
      const { data } = await this.#request<ForgejoComment>('PATCH', this.#repoPath(`/issues/comments/${existing.id}`), { body: { body: wanted } });
      return { action: 'updated', commentId: data.id, url: data.html_url, previousBody };
    }
    return { action: 'created', ...(await this.postComment(prNumber, wanted)) };
  }

  async postComment(prNumber: number, body: string): Promise<{ commentId: number; url: string }> {
    const { data } = await this.#request<ForgejoComment>('POST', this.#repoPath(`/issues/${prNumber}/comments`), { body: { body } });
    return { commentId: data.id, url: data.html_url };
  }

  async listCommentsSince(since: string): Promise<IssueComment[]> {
    const out: IssueComment[] = [];
    for (let page = 1; page <= 100; page++) {
      const answer = await this.#request<ForgejoComment[]>('GET', this.#repoPath('/issues/comments'), {
        query: { since, page, limit: this.#perPage },
      });
      for (const raw of answer.data) out.push(normaliseComment(raw, Boolean(raw.pull_request_url)));
      if (!this.#hasNext(answer.headers, answer.data.length)) break;
    }
    return out.sort(byUpdate);
  }

  async canTrigger(user: string, prAuthor: string): Promise<boolean> {
    if (sameLogin(user, prAuthor)) return true;
    try {
      const { data } = await this.#request<{ permission: string }>('GET', this.#repoPath(`/collaborators/${encodeURIComponent(user)}/permission`));
      return ['write', 'admin', 'owner'].includes(data.permission);
    } catch (error) {
      if (isRefciError(error) && error.code === 'not-found') return false;
      if (isRefciError(error) && error.details?.status === 403) {
        throw new RefciError(
          'forge',
          `Codeberg refused to tell ${user}'s permission on ${this.repo} (403)`,
          `Forgejo shows other users' permissions only to repository admins: make the token's user an admin of ${this.repo}, or only pull-request authors can /recheck`,
          { status: 403 },
        );
      }
      throw error;
    }
  }

  async whoami(): Promise<string> {
    if (this.#login === undefined) {
      const { data } = await this.#request<{ login: string }>('GET', '/user');
      this.#login = data.login;
    }
    return this.#login;
  }

  #repoPath(rest: string): string {
    return `/repos/${encodeURIComponent(this.#owner)}/${encodeURIComponent(this.#name)}${rest}`;
  }

  get cloneUrl(): string {
    return this.#cloneUrl();
  }

  #cloneUrl(): string {
    return `${this.#apiUrl.replace(/\/api\/v1$/, '')}/${this.repo}.git`;
  }

  /** A next page exists when the Link header says so, or, without one, when the page was full. */
  #hasNext(headers: Headers, count: number): boolean {
    const link = headers.get('link');
    if (link !== null) return linkNext(link) !== undefined;
    return count >= this.#perPage;
  }

  async #request<T>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
    const url = new URL(this.#apiUrl + path);
    assertApiOrigin(url.href, this.#api, 'Codeberg');
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const what = `${method} ${path}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.#userAgent,
      ...options.headers,
      authorization: `token ${this.#token}`,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await withRetries(
        this.#retry,
        what,
        async () => {
          let response: Response;
          const send = () => fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), redirect: 'manual' });
          try {
            // Each attempt of a write, retries included, waits its turn behind the previous write.
            response = await (isMutating(method) ? this.#pacer.pace(send) : send());
          } catch (error) {
            const cause = (error as { cause?: { code?: string; message?: string } }).cause;
            throw new HttpFailure(0, {}, cause?.code ?? cause?.message ?? (error as Error).message);
          }
          const text = await response.text();
          if (response.status === 304 && options.allowNotModified) return { status: 304, headers: response.headers, data: undefined as T };
          let data: unknown = text;
          try {
            data = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON: keep the text for the error message
          }
          if (!response.ok) throw new HttpFailure(response.status, Object.fromEntries(response.headers), messageOf(data));
          return { status: response.status, headers: response.headers, data: data as T };
        },
        (error) => (error instanceof HttpFailure ? { status: error.status, headers: error.headers, message: error.serverMessage } : undefined),
      );
    } catch (error) {
      throw toForgeError(error, what, this.#errors);
    }
  }
}

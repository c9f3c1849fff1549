import { Octokit } from '@octokit/rest';
import { isRefciError } from '../errors.ts';
import { assertApiOrigin, checkedApiUrl } from './api-origin.ts';
import { type RetryContext, withRetries, type Failure } from './retry.ts';
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
import { octokitLog } from './octokit-log.ts';
import { isMutating, WritePacer } from './pacer.ts';
import { tokenValue } from './token.ts';
import type { CommitStatus, Forge, ForgeOptions, IssueComment, PullListCache, PullRequest, UpsertResult } from './types.ts';

export const GITHUB_API = 'https://api.github.com';

interface OctokitLikeError {
  status: number;
  message: string;
  response?: { headers: Record<string, string | undefined>; data?: unknown };
}

function isOctokitError(error: unknown): error is OctokitLikeError {
  return typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number';
}

/** GitHub (or GitHub Enterprise) through @octokit/rest. */
export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  readonly repo: string;
  readonly #owner: string;
  readonly #name: string;
  readonly #octokit: Octokit;
  readonly #perPage: number;
  readonly #apiUrl: string;
  readonly #errors: ErrorContext;
  #login: string | undefined;

  constructor(options: ForgeOptions) {
    const { owner, name } = splitRepo(options.repo);
    this.repo = options.repo;
    this.#owner = owner;
    this.#name = name;
    this.#apiUrl = (options.apiUrl ?? GITHUB_API).replace(/\/+$/, '');
    const api = checkedApiUrl(this.#apiUrl, 'GitHub', options.allowHttp ?? false);
    this.#perPage = Math.min(100, Math.max(1, options.perPage ?? 100));
    this.#login = options.login;
    const token = tokenValue(options.token);
    const tokenSource = typeof options.token === 'string' ? 'GITHUB_TOKEN or the token file' : options.token.source;
    this.#errors = { forgeName: 'GitHub', repo: options.repo, tokenSource, secrets: [token] };
    const log = scrubLog(options.log, [token]);
    this.#octokit = new Octokit({
      auth: token,
      baseUrl: this.#apiUrl,
      userAgent: options.userAgent ?? 'refci',
      log: octokitLog(log),
    });
    const retryPolicy = retryOptions(options.retry);
    const retry: RetryContext = { options: retryPolicy, forgeName: 'GitHub', onWait: log };
    const pacer = options.pacer ?? new WritePacer(retryPolicy.writeGapMs, retryPolicy);
    this.#octokit.hook.wrap('request', (request, endpoint) => {
      // Pagination follows URLs the server sends: the token must still go only to the API's origin.
      const url = String(endpoint.url);
      assertApiOrigin(/^[a-z]+:\/\//i.test(url) ? url : `${String(endpoint.baseUrl ?? this.#apiUrl)}${url}`, api, 'GitHub');
      const what = `${endpoint.method} ${this.#pathOf(String(endpoint.url), endpoint as Record<string, unknown>)}`;
      // Each attempt of a write, retries included, waits its turn behind the previous write.
      const send = isMutating(String(endpoint.method)) ? () => pacer.pace(async () => request(endpoint)) : async () => request(endpoint);
      return withRetries(retry, what, send, inspect);
    });
  }

  async listOpenPulls(cache?: PullListCache): Promise<PullRequest[]> {
    const key = `github ${this.#apiUrl} ${this.repo} ${this.#perPage}`;
    return this.#call(`GET /repos/${this.repo}/pulls`, () =>
      listPullsCached(cache, key, this.#perPage, async (page, etag) => {
        try {
          const response = await this.#octokit.request('GET /repos/{owner}/{repo}/pulls', {
            owner: this.#owner,
            repo: this.#name,
            state: 'open',
            sort: 'created',
            direction: 'asc',
            per_page: this.#perPage,
            page,
            headers: etag ? { 'if-none-match': etag } : {},
          });
          return {
            notModified: false,
            pulls: (response.data as unknown as RawPull[]).map((raw) => normalisePull(raw, this.#cloneUrl())),
            etag: response.headers.etag ?? null,
            hasNext: linkNext(response.headers.link) !== undefined,
            last: lastPage(response.headers.link),
          };
        } catch (error) {
          if (isOctokitError(error) && error.status === 304 && etag) return { notModified: true };
          throw error;
        }
      }),
    );
  }

  async getPull(number: number): Promise<PullRequest> {
    try {
      const { data } = await this.#call(`GET /repos/${this.repo}/pulls/${number}`, () =>
        this.#octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { owner: this.#owner, repo: this.#name, pull_number: number }),
      );
      return normalisePull(data as unknown as RawPull, this.#cloneUrl());
    } catch (error) {
      throw pullNotFound(error, number, this.#errors);
    }
  }

  async setStatus(sha: string, status: CommitStatus): Promise<void> {
    checkSha(sha, 'GitHub');
    await this.#call(`POST /repos/${this.repo}/statuses/${sha}`, () =>
      this.#octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
        owner: this.#owner,
        repo: this.#name,
        sha,
        state: status.state,
        context: status.context,
        description: cutDescription(status.description),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      }),
    );
  }

  async upsertComment(prNumber: number, marker: string, body: string): Promise<UpsertResult> {
    const wanted = withMarker(marker, body);
    const me = await this.whoami();
    const existing = await this.#call(`GET /repos/${this.repo}/issues/${prNumber}/comments`, async () => {
      const pages = this.#octokit.paginate.iterator('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        owner: this.#owner,
        repo: this.#name,
        issue_number: prNumber,
        per_page: this.#perPage,
      });
      for await (const page of pages) {
        for (const comment of page.data) {
          if (comment.user && sameLogin(comment.user.login, me) && (comment.body ?? '').includes(marker)) return comment;
        }
      }
      return undefined;
    });
    if (existing) {
      const previousBody = existing.body ?? '';
      if (sameBody(previousBody, wanted)) return { action: 'unchanged', commentId: Number(existing.id), url: existing.html_url, previousBody };
      const { data } = await this.#call(`PATCH /repos/${this.repo}/issues/comments/${existing.id}`, () =>
        this.#octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
          owner: this.#owner,
          repo: this.#name,
          comment_id: existing.id,
          body: wanted,
        }),
      );
      return { action: 'updated', commentId: Number(data.id), url: data.html_url, previousBody };
    }
    const created = await this.postComment(prNumber, wanted);
    return { action: 'created', ...created };
  }

  async postComment(prNumber: number, body: string): Promise<{ commentId: number; url: string }> {
    const { data } = await this.#call(`POST /repos/${this.repo}/issues/${prNumber}/comments`, () =>
      this.#octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        owner: this.#owner,
        repo: this.#name,
        issue_number: prNumber,
        body,
      }),
    );
    return { commentId: Number(data.id), url: data.html_url };
  }

  async listCommentsSince(since: string): Promise<IssueComment[]> {
    return this.#call(`GET /repos/${this.repo}/issues/comments`, async () => {
      const out: IssueComment[] = [];
      const pages = this.#octokit.paginate.iterator('GET /repos/{owner}/{repo}/issues/comments', {
        owner: this.#owner,
        repo: this.#name,
        since,
        sort: 'updated',
        direction: 'asc',
        per_page: this.#perPage,
      });
      for await (const page of pages) {
        for (const raw of page.data) {
          // Comments on pull requests link to /pull/<n> on the web, issues to /issues/<n>.
          out.push(normaliseComment(raw as unknown as RawComment, /\/pull\/\d+/.test(raw.html_url)));
        }
      }
      return out.sort(byUpdate);
    });
  }

  async canTrigger(user: string, prAuthor: string): Promise<boolean> {
    if (sameLogin(user, prAuthor)) return true;
    try {
      const { data } = await this.#call(`GET /repos/${this.repo}/collaborators/${user}/permission`, () =>
        this.#octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
          owner: this.#owner,
          repo: this.#name,
          username: user,
        }),
      );
      return ['admin', 'write'].includes(data.permission) || ['admin', 'maintain', 'write'].includes(data.role_name);
    } catch (error) {
      if (isRefciError(error) && error.code === 'not-found') return false; // no such user
      throw error;
    }
  }

  async whoami(): Promise<string> {
    if (this.#login === undefined) {
      const { data } = await this.#call('GET /user', () => this.#octokit.request('GET /user'));
      this.#login = data.login;
    }
    return this.#login;
  }

  get cloneUrl(): string {
    return this.#cloneUrl();
  }

  #cloneUrl(): string {
    const web = this.#apiUrl === GITHUB_API ? 'https://github.com' : this.#apiUrl.replace(/\/api\/v3$/, '');
    return `${web}/${this.repo}.git`;
  }

  #pathOf(url: string, params: Record<string, unknown>): string {
    const filled = url.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
    return filled.startsWith(this.#apiUrl) ? filled.slice(this.#apiUrl.length) || '/' : filled;
  }

  /** Runs one forge call, turning every failure into a RefciError that holds no token. */
  async #call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toForgeError(asHttpFailure(error), what, this.#errors);
    }
  }
}

function asHttpFailure(error: unknown): unknown {
  if (isRefciError(error) || !isOctokitError(error)) return error;
  const failure = inspect(error);
  return failure ? new HttpFailure(failure.status, failure.headers, failure.message) : error;
}

/** An octokit error as the retry policy sees it; 304 is not a failure. */
function inspect(error: unknown): Failure | undefined {
  if (!isOctokitError(error) || error.status === 304) return undefined;
  if (!error.response) return { status: 0, headers: {}, message: error.message }; // no answer: network
  return { status: error.status, headers: error.response.headers, message: messageOf(error.response.data) || error.message };
}

/**
 * A fake GitHub or Forgejo API on 127.0.0.1 for the forge tests.
 *
 * - State the test can change: pull requests (open, close, push a head, labels), issue comments,
 *   collaborator permissions, and the statuses refci set.
 * - Real response shapes (fake-forge-shapes.ts), Link-header pagination, ETag / 304 on GETs,
 *   GitHub's x-ratelimit-* headers with a budget that runs out, scripted answers (429, 5xx, …).
 * - A record of every request with all its headers, so tests can check where the token went.
 *
 * GitHub is served like GitHub Enterprise: API under /api/v3, web pages at the root.
 * Forgejo: API under /api/v1, web pages at the root.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fjComment,
  fjError,
  fjPermission,
  fjPull,
  fjStatus,
  fjUser,
  ghComment,
  ghError,
  ghPermission,
  ghPrivateUser,
  ghPull,
  ghPullSimple,
  ghStatus,
  type FakeComment,
  type FakePermission,
  type FakePull,
  type FakeStatus,
  type ShapeContext,
} from './fake-forge-shapes.ts';

export type { FakeComment, FakePermission, FakePull, FakeStatus } from './fake-forge-shapes.ts';

export type Flavor = 'github' | 'forgejo';

export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  /** What the fake answered: status and body text. */
  status: number;
  response: string;
}

export interface ScriptedAnswer {
  method?: string;
  /** Matches the path (without the API prefix and query): exact string or RegExp. */
  path?: string | RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many requests it answers (default 1). */
  times?: number;
}

export interface FakeForgeOptions {
  flavor: Flavor;
  token: string;
  owner?: string;
  repo?: string;
  /** Login of the token's user. */
  botLogin?: string;
  /** Send ETags and answer If-None-Match (default: GitHub yes, Forgejo no, as the real ones). */
  etags?: boolean;
  /** Forgejo: is the token's user a repository admin (needed to read others' permissions)? */
  botIsRepoAdmin?: boolean;
  /** Start of the fake clock (ms). */
  now?: number;
}

const START = Date.parse('2025-03-01T10:00:00Z');

export class FakeForge {
  readonly flavor: Flavor;
  readonly token: string;
  readonly owner: string;
  readonly repo: string;
  readonly botLogin: string;
  etags: boolean;
  botIsRepoAdmin: boolean;
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];
  readonly pulls = new Map<number, FakePull>();
  readonly comments: FakeComment[] = [];
  readonly statuses: FakeStatus[] = [];
  /** Logins the forge knows (others answer 404 on permission queries). */
  readonly users = new Set<string>();
  readonly permissions = new Map<string, FakePermission>();
  /** GitHub's core rate limit; `remaining` drops by one per answered request except 304s. */
  readonly rateLimit = { limit: 5000, remaining: 5000, reset: 0 };
  /** Fake clock, ms. Mutations advance it by one second so timestamps are ordered. */
  now: number;
  /** Called with each request before it is answered: lets a test change the state mid-walk (close a pull request between two page reads). */
  onRequest?: (request: RecordedRequest) => void;

  #server: http.Server;
  #script: ScriptedAnswer[] = [];
  #nextNumber = 1;
  #nextId = 1000;
  #ids = new Map<string, number>();
  #origin = '';

  constructor(options: FakeForgeOptions) {
    this.flavor = options.flavor;
    this.token = options.token;
    this.owner = options.owner ?? 'gentoo';
    this.repo = options.repo ?? 'gentoo';
    this.botLogin = options.botLogin ?? 'refci-bot';
    this.etags = options.etags ?? options.flavor === 'github';
    this.botIsRepoAdmin = options.botIsRepoAdmin ?? true;
    this.now = options.now ?? START;
    this.rateLimit.reset = Math.floor(this.now / 1000) + 3600;
    this.users.add(this.owner).add(this.botLogin);
    this.permissions.set(this.owner, 'admin');
    this.permissions.set(this.botLogin, 'write');
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
  }

  get apiPrefix(): string {
    return this.flavor === 'github' ? '/api/v3' : '/api/v1';
  }

  /** The API root to give the client (`apiUrl`). */
  get apiUrl(): string {
    return this.#origin + this.apiPrefix;
  }

  get webUrl(): string {
    return this.#origin;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ------------------------------------------------------------ state the test changes

  iso(): string {
    return new Date(this.now).toISOString().replace('.000Z', 'Z');
  }

  /** Moves the fake clock; a passed rate-limit reset refills the budget. */
  advance(ms: number): void {
    this.now += ms;
    if (Math.floor(this.now / 1000) >= this.rateLimit.reset) {
      this.rateLimit.remaining = this.rateLimit.limit;
      this.rateLimit.reset = Math.floor(this.now / 1000) + 3600;
    }
  }

  #tick(): string {
    this.advance(1000);
    return this.iso();
  }

  openPull(init: Partial<Omit<FakePull, 'id' | 'number' | 'createdAt' | 'updatedAt'>> & { number?: number } = {}): FakePull {
    const number = init.number ?? this.#nextNumber;
    this.#nextNumber = Math.max(this.#nextNumber, number + 1);
    const at = this.#tick();
    const author = init.author ?? `dev${number}`;
    this.users.add(author);
    const pull: FakePull = {
      id: 2_000_000 + number,
      number,
      title: init.title ?? `dev-libs/foo: bump to 1.${number}`,
      body: init.body ?? 'Closes: https://bugs.gentoo.org/900000',
      author,
      headOwner: init.headOwner === undefined ? author : init.headOwner,
      headRef: init.headRef ?? `bump-${number}`,
      headSha: init.headSha ?? sha(`head ${number} 0`),
      baseRef: init.baseRef ?? 'master',
      baseSha: init.baseSha ?? sha(`base ${number}`),
      labels: init.labels ?? [],
      state: init.state ?? 'open',
      merged: init.merged ?? false,
      draft: init.draft ?? false,
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      mergedAt: null,
      ...(init.baseCloneUrl ? { baseCloneUrl: init.baseCloneUrl } : {}),
    };
    if (pull.headOwner) this.users.add(pull.headOwner);
    this.pulls.set(number, pull);
    return pull;
  }

  /** A plain issue number (comments on it are not on a pull request). */
  openIssue(): number {
    return this.#nextNumber++;
  }

  #pull(number: number): FakePull {
    const pull = this.pulls.get(number);
    if (!pull) throw new Error(`fake forge: no pull request ${number}`);
    return pull;
  }

  closePull(number: number, merged = false): void {
    const pull = this.#pull(number);
    const at = this.#tick();
    Object.assign(pull, { state: 'closed', updatedAt: at, closedAt: at, merged, mergedAt: merged ? at : null });
  }

  reopenPull(number: number): void {
    Object.assign(this.#pull(number), { state: 'open', updatedAt: this.#tick(), closedAt: null });
  }

  pushHead(number: number, headSha?: string): string {
    const pull = this.#pull(number);
    pull.headSha = headSha ?? sha(`head ${number} ${this.now}`);
    pull.updatedAt = this.#tick();
    return pull.headSha;
  }

  addLabel(number: number, label: string): void {
    const pull = this.#pull(number);
    if (!pull.labels.includes(label)) pull.labels.push(label);
    pull.updatedAt = this.#tick();
  }

  removeLabel(number: number, label: string): void {
    const pull = this.#pull(number);
    pull.labels = pull.labels.filter((name) => name !== label);
    pull.updatedAt = this.#tick();
  }

  addComment(issue: number, author: string, body: string): FakeComment {
    this.users.add(author);
    const at = this.#tick();
    const comment: FakeComment = { id: this.#nextId++, issue, author, body, createdAt: at, updatedAt: at };
    this.comments.push(comment);
    if (this.pulls.has(issue)) this.pulls.get(issue)!.updatedAt = at;
    return comment;
  }

  editComment(id: number, body: string): void {
    const comment = this.comments.find((c) => c.id === id);
    if (!comment) throw new Error(`fake forge: no comment ${id}`);
    comment.body = body;
    comment.updatedAt = this.#tick();
  }

  setPermission(login: string, permission: FakePermission): void {
    this.users.add(login);
    this.permissions.set(login, permission);
  }

  /** Answers the next matching request(s) with this instead of the normal answer. */
  script(answer: ScriptedAnswer): void {
    this.#script.push({ times: 1, ...answer });
  }

  /** Requests other than those the test does not care about (e.g. GET /user). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  // ------------------------------------------------------------ serving

  #shapes(): ShapeContext {
    const id = (key: string, base: number) => {
      if (!this.#ids.has(key)) this.#ids.set(key, base + this.#ids.size + 1);
      return this.#ids.get(key)!;
    };
    return {
      api: this.apiUrl,
      web: this.webUrl,
      owner: this.owner,
      repo: this.repo,
      userId: (login) => id(`user ${login}`, 100),
      repoId: (owner) => id(`repo ${owner}`, 5_000_000),
      labelId: (name) => id(`label ${name}`, 700_000),
    };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.#origin);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    const path = url.pathname.startsWith(this.apiPrefix) ? url.pathname.slice(this.apiPrefix.length) : url.pathname;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      status: 0,
      response: '',
    };
    this.requests.push(record);
    this.onRequest?.(record);
    const answer = this.#answer(record, url);
    record.status = answer.status;
    const out: Record<string, string> = { ...answer.headers };
    if (this.flavor === 'github') {
      out['x-github-api-version-selected'] = '2022-11-28';
      out['x-github-request-id'] = `FAKE:${this.requests.length}`;
    }
    let text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    if (answer.body !== undefined) out['content-type'] ??= 'application/json; charset=utf-8';
    if (this.etags && record.method === 'GET' && answer.status === 200) {
      const etag = `W/"${createHash('sha1').update(text).digest('hex')}"`;
      out.etag = etag;
      if (headers['if-none-match'] === etag) {
        record.status = 304;
        delete out['content-type'];
        text = '';
        res.writeHead(304, { ...out, ...this.#rateHeaders(false) });
        res.end();
        return;
      }
    }
    const counted = record.status !== 401 && !answer.scripted;
    record.response = text;
    res.writeHead(record.status, { ...(this.flavor === 'github' && counted ? this.#rateHeaders(true) : {}), ...out });
    res.end(text);
  }

  #rateHeaders(spend: boolean): Record<string, string> {
    if (this.flavor !== 'github') return {};
    if (spend && this.rateLimit.remaining > 0) this.rateLimit.remaining -= 1;
    return {
      'x-ratelimit-limit': String(this.rateLimit.limit),
      'x-ratelimit-remaining': String(this.rateLimit.remaining),
      'x-ratelimit-reset': String(this.rateLimit.reset),
      'x-ratelimit-used': String(this.rateLimit.limit - this.rateLimit.remaining),
      'x-ratelimit-resource': 'core',
    };
  }

  #answer(r: RecordedRequest, url: URL): { status: number; headers?: Record<string, string>; body?: unknown; scripted?: boolean } {
    const gh = this.flavor === 'github';
    const error = (status: number, message: string) => ({ status, body: gh ? ghError(status, message) : fjError(message) });

    const auth = r.headers.authorization ?? '';
    if (auth !== `token ${this.token}` && auth !== `Bearer ${this.token}` && auth !== `bearer ${this.token}`) {
      return error(401, gh ? 'Bad credentials' : 'token is required');
    }

    const index = this.#script.findIndex(
      (s) => (!s.method || s.method === r.method) && (!s.path || (typeof s.path === 'string' ? s.path === r.path : s.path.test(r.path))),
    );
    if (index >= 0) {
      const scripted = this.#script[index]!;
      scripted.times = (scripted.times ?? 1) - 1;
      if (scripted.times <= 0) this.#script.splice(index, 1);
      return { status: scripted.status, headers: scripted.headers, body: scripted.body, scripted: true };
    }

    if (gh && this.rateLimit.remaining <= 0) {
      return {
        status: 403,
        headers: this.#rateHeaders(false),
        body: ghError(403, `API rate limit exceeded for user ID ${this.#shapes().userId(this.botLogin)}. If you reach out to GitHub Support for help, please include the request ID.`),
        scripted: true,
      };
    }

    const c = this.#shapes();
    const json = (): Record<string, unknown> => {
      try {
        return JSON.parse(r.body) as Record<string, unknown>;
      } catch {
        return {};
      }
    };

    if (r.method === 'GET' && r.path === '/user') return { status: 200, body: gh ? ghPrivateUser(c, this.botLogin) : { ...fjUser(c, this.botLogin), email: 'refci@example.org' } };

    const prefix = `/repos/${this.owner}/${this.repo}`;
    if (!r.path.startsWith(`${prefix}/`)) return error(404, 'Not Found');
    const rest = r.path.slice(prefix.length);
    let m: RegExpExecArray | null;

    if (r.method === 'GET' && rest === '/pulls') {
      const state = r.query.state ?? 'open';
      let list = [...this.pulls.values()].filter((p) => state === 'all' || p.state === state);
      const asc = gh ? (r.query.direction ?? ((r.query.sort ?? 'created') === 'created' ? 'desc' : 'asc')) === 'asc' : r.query.sort === 'oldest';
      list.sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
      return this.#page(url, list, (p) => (gh ? ghPullSimple(c, p) : fjPull(c, p)));
    }
    if (r.method === 'GET' && (m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const pull = this.pulls.get(Number(m[1]));
      if (!pull) return error(404, 'Not Found');
      return { status: 200, body: gh ? ghPull(c, pull) : fjPull(c, pull) };
    }
    if (r.method === 'POST' && (m = /^\/statuses\/([0-9a-f]+)$/.exec(rest))) {
      const input = json();
      if (!['pending', 'success', 'failure', 'error', ...(gh ? [] : ['warning'])].includes(String(input.state))) {
        return gh
          ? { status: 422, body: ghError(422, 'Validation Failed', { errors: [{ resource: 'Status', code: 'custom', field: 'state', message: 'state is not included in the list' }] }) }
          : error(422, 'invalid state');
      }
      const description = typeof input.description === 'string' ? input.description : null;
      if (gh && description !== null && [...description].length > 140) {
        return { status: 422, body: ghError(422, 'Validation Failed', { errors: [{ resource: 'Status', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' }] }) };
      }
      const at = this.#tick();
      const status: FakeStatus = {
        id: this.#nextId++,
        sha: m[1]!,
        state: String(input.state),
        context: typeof input.context === 'string' ? input.context : 'default',
        description,
        targetUrl: typeof input.target_url === 'string' ? input.target_url : null,
        creator: this.botLogin,
        createdAt: at,
        updatedAt: at,
      };
      this.statuses.push(status);
      return { status: 201, body: gh ? ghStatus(c, status) : fjStatus(c, status) };
    }
    if (r.method === 'GET' && rest === '/issues/comments') {
      const since = r.query.since ? Date.parse(r.query.since) : -Infinity;
      const list = this.comments.filter((x) => Date.parse(x.updatedAt) >= since);
      if (gh && r.query.sort === 'updated') list.sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || a.id - b.id);
      if (gh && r.query.direction === 'desc') list.reverse();
      return this.#page(url, list, (x) => (gh ? ghComment(c, x, this.pulls.has(x.issue)) : fjComment(c, x, this.pulls.has(x.issue))));
    }
    if (r.method === 'PATCH' && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const comment = this.comments.find((x) => x.id === Number(m![1]));
      if (!comment) return error(404, 'Not Found');
      if (comment.author !== this.botLogin) return error(403, gh ? 'Must have admin rights to Repository.' : 'user should have permission to edit comment');
      comment.body = String(json().body ?? '');
      comment.updatedAt = this.#tick();
      return { status: 200, body: gh ? ghComment(c, comment, this.pulls.has(comment.issue)) : fjComment(c, comment, this.pulls.has(comment.issue)) };
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = Number(m[1]);
      if (issue >= this.#nextNumber) return error(404, 'Not Found');
      if (r.method === 'GET') {
        const list = this.comments.filter((x) => x.issue === issue);
        // GitHub paginates; Forgejo returns all comments of an issue at once.
        return gh ? this.#page(url, list, (x) => ghComment(c, x, this.pulls.has(issue))) : { status: 200, headers: { 'x-total-count': String(list.length) }, body: list.map((x) => fjComment(c, x, this.pulls.has(issue))) };
      }
      if (r.method === 'POST') {
        const text = json().body;
        if (typeof text !== 'string' || text === '') return gh ? { status: 422, body: ghError(422, 'Validation Failed') } : error(422, 'body is required');
        const comment = this.addComment(issue, this.botLogin, text);
        return { status: 201, body: gh ? ghComment(c, comment, this.pulls.has(issue)) : fjComment(c, comment, this.pulls.has(issue)) };
      }
    }
    if (r.method === 'GET' && (m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest))) {
      const login = decodeURIComponent(m[1]!);
      if (!this.users.has(login)) return error(404, gh ? 'Not Found' : 'user does not exist');
      if (!gh && !this.botIsRepoAdmin && login !== this.botLogin) {
        return error(403, 'Only admins can query all permissions, repo admins can query all repo permissions, collaborators can query only their own');
      }
      const permission = this.permissions.get(login) ?? 'none';
      return { status: 200, body: gh ? ghPermission(c, login, permission) : fjPermission(c, login, permission) };
    }
    return error(404, 'Not Found');
  }

  /** One page of a list with Link (and, on Forgejo, X-Total-Count) headers. */
  #page<T>(url: URL, list: T[], shape: (item: T) => unknown): { status: number; headers: Record<string, string>; body: unknown } {
    const gh = this.flavor === 'github';
    const sizeParam = gh ? 'per_page' : 'limit';
    const size = Math.min(gh ? 100 : 50, Math.max(1, Number(url.searchParams.get(sizeParam) ?? 30) || 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(list.length / size));
    const link = (n: number, rel: string) => {
      const target = new URL(url);
      target.searchParams.set('page', String(n));
      target.searchParams.set(sizeParam, String(size));
      return `<${target.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
    const headers: Record<string, string> = {};
    if (links.length > 0) headers.link = links.join(', ');
    if (!gh) headers['x-total-count'] = String(list.length);
    return { status: 200, headers, body: list.slice((page - 1) * size, page * size).map(shape) };
  }
}

export async function startFakeForge(options: FakeForgeOptions): Promise<FakeForge> {
  return new FakeForge(options).listen();
}

/** A 40-hex commit id derived from a seed. */
export function sha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

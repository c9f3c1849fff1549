import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ExecutionContext } from 'ava';

/** Where git keeps `git-http-backend`, or undefined when git is missing. */
function gitExecPath(): string | undefined {
  try {
    return execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** Why smart HTTP cannot be served on this machine, or undefined when it can. */
export function httpBackendUnusable(): string | undefined {
  const dir = gitExecPath();
  if (!dir) return 'git is not on PATH';
  if (!fs.existsSync(path.join(dir, 'git-http-backend'))) return `${dir}/git-http-backend is missing (a git build without http-backend)`;
  return undefined;
}

export interface HttpGitOptions {
  /**
   * The CGI program run for each request: `git http-backend` by default, or
   * a wrapper (docs/deploy.md's gate) that ends by exec'ing it and sets
   * GIT_PROJECT_ROOT itself, as a web server's CGI program would.
   */
  cgi?: string[];
  /** Basic-auth users and passwords: with them, a request without a valid pair gets 401, and REMOTE_USER names the user. */
  users?: Record<string, string>;
  /** Variables for every CGI run beside the request's (the gate's settings). */
  env?: Record<string, string>;
}

export interface HttpGit {
  /** `http://127.0.0.1:<port>/<repo>`, with `user:password@` when given. */
  url: (repo: string, user?: string) => string;
  /**
   * Requests served so far, for a test that checks what went over the wire:
   * `POST /coord.git/git-upload-pack 200 gzip version=2` (method, path,
   * status, then the content and transfer encodings and Git-Protocol when sent).
   */
  requests: string[];
}

/**
 * Smart HTTP on 127.0.0.1: a node:http server that runs `git http-backend`
 * as a CGI program per request, serving the bare repositories under
 * `projectRoot`, pushes included (`http.receivepack` is set on each
 * repository served this way by the caller, as a deployment would); `t` is
 * a test, or anything that runs the server's stop at the end. It stands
 * in for Apache or nginx in front of http-backend (docs/deploy.md): the CGI
 * environment is built from the request as they build it, including
 * `Git-Protocol` (protocol v2) and `Content-Encoding` (git gzips large
 * request bodies; http-backend inflates them itself). Stopped at teardown.
 */
export async function httpGit(t: Pick<ExecutionContext, 'teardown'>, projectRoot: string, options: HttpGitOptions = {}): Promise<HttpGit> {
  const cgi = options.cgi ?? ['git', 'http-backend'];
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    let user: string | undefined;
    if (options.users) {
      user = authorisedUser(request.headers.authorization, options.users);
      if (!user) {
        requests.push(`${request.method} ${url.pathname} 401`);
        response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="refci"' }).end();
        request.resume();
        return;
      }
    }
    // The request's headers as every web server gives them to a CGI program (HTTP_GIT_PROTOCOL,
    // HTTP_CONTENT_ENCODING: git gzips large fetch requests, http-backend inflates them), less credentials.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value !== 'string' || /^(authorization|proxy-authorization|content-type|content-length)$/i.test(name)) continue;
      headers[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = value;
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...options.env,
      ...(options.cgi ? {} : { GIT_PROJECT_ROOT: projectRoot, GIT_HTTP_EXPORT_ALL: '1' }),
      ...headers,
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: `HTTP/${request.httpVersion}`,
      SERVER_SOFTWARE: 'refci-test',
      REQUEST_METHOD: request.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
      ...(user ? { REMOTE_USER: user, AUTH_TYPE: 'Basic' } : {}),
      ...(request.headers['content-type'] ? { CONTENT_TYPE: request.headers['content-type'] } : {}),
      // A chunked body (git's large POSTs) has no length: http-backend then reads to the end of its input.
      ...(request.headers['content-length'] ? { CONTENT_LENGTH: request.headers['content-length'] } : {}),
      // Protocol v2, as git's documentation has web servers pass it (SetEnvIf Git-Protocol); newer http-backends also read HTTP_GIT_PROTOCOL.
      ...(typeof request.headers['git-protocol'] === 'string' ? { GIT_PROTOCOL: request.headers['git-protocol'] } : {}),
    };
    const how = [request.headers['content-encoding'], request.headers['transfer-encoding'], request.headers['git-protocol']].filter(Boolean).join(' ');
    const child = spawn(cgi[0]!, cgi.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => void (stderr += String(chunk)));
    request.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    cgiResponse(child.stdout, response, (status) => requests.push(`${request.method} ${url.pathname} ${status}${how ? ` ${how}` : ''}`));
    child.on('error', (error) => {
      if (!response.headersSent) response.writeHead(500).end(error.message);
    });
    child.on('close', (code) => {
      if (code !== 0 && !response.headersSent) response.writeHead(500).end(stderr);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return {
    url: (repo, who) => `http://${who ? `${who}:${encodeURIComponent(options.users?.[who] ?? '')}@` : ''}127.0.0.1:${port}/${repo}`,
    requests,
  };
}

function authorisedUser(header: string | undefined, users: Record<string, string>): string | undefined {
  const match = /^Basic (\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [name, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return colon > 0 && Object.hasOwn(users, name) && users[name] === password ? name : undefined;
}

/**
 * Turns a CGI program's output (header lines, a blank line, the body) into
 * the HTTP response: `Status:` sets the code, other headers pass through.
 */
function cgiResponse(output: NodeJS.ReadableStream, response: http.ServerResponse, served: (status: number) => void): void {
  let head = Buffer.alloc(0);
  let started = false;
  const onData = (chunk: Buffer) => {
    if (started) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (end === undefined) return;
    started = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
      else headers[name] = value;
    }
    served(status);
    response.writeHead(status, headers);
    response.write(head.subarray(end.at + end.length));
  };
  output.on('data', onData);
  output.on('end', () => {
    if (!started) {
      served(502);
      response.writeHead(502).end('the CGI program wrote no headers');
      return;
    }
    response.end();
  });
}

function headerEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}

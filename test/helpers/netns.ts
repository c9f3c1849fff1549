import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa, type ResultPromise } from 'execa';

/**
 * Two network namespaces of the test's own joined by a veth pair: `server`
 * (169.254.77.1) and `host` (169.254.77.2), on a /30 that exists only inside
 * them. A test serves the coordination repository from `server`, runs a host
 * in `host`, and cuts the link between them; the machine's own namespace and
 * its addresses are never touched. Hosts in the root namespace reach the same
 * repository on disk, so the cut host is partitioned from it while they are not.
 */
export interface Partition {
  server: string;
  host: string;
  serverAddress: string;
  /** Takes the host's end of the link down: its connections see the network as unreachable. */
  cut: () => Promise<void>;
  /** Brings the link back. */
  heal: () => Promise<void>;
  /** Starts a program inside a namespace (nsenter execs it in place: signals reach the program itself). */
  spawn: (namespace: string, argv: string[], env?: Record<string, string>) => Watched;
}

/** A child process and what it has written so far. */
export interface Watched {
  process: ResultPromise;
  output: { stdout: string; stderr: string };
  /** Resolves true once `stream` holds `text` (also when it came before the call); false when the process ends first or `timeoutMs` runs out. */
  waitFor: (text: string, stream?: 'stdout' | 'stderr', timeoutMs?: number) => Promise<boolean>;
}

const SERVER_ADDRESS = '169.254.77.1';
const HOST_ADDRESS = '169.254.77.2';
const PREFIX = 'refci-test';
let made = 0;

/** A tool's path: on PATH, or in the sbin folders a non-login PATH may leave out. */
function which(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin'];
  return dirs.map((dir) => path.join(dir, tool)).find((file) => fs.existsSync(file));
}

const IP = which('ip');
const NSENTER = which('nsenter');

function ip(args: string[]): void {
  execFileSync(IP ?? 'ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Why network namespaces cannot be made here (no `ip` or `nsenter`, not
 * root, no CAP_NET_ADMIN), or undefined when they can: tried once, with a
 * namespace made and deleted at once.
 */
export function netnsUnusable(): string | undefined {
  if (!IP) return 'ip is missing (install iproute2)';
  if (!NSENTER) return 'nsenter is missing (install util-linux)';
  const probe = `${PREFIX}-${process.pid}-probe`;
  try {
    ip(['netns', 'add', probe]);
  } catch (error) {
    const said = String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim().split('\n')[0];
    return `cannot create a network namespace (needs root or CAP_NET_ADMIN): ${said}`;
  }
  ip(['netns', 'delete', probe]);
  return undefined;
}

/** Deletes namespaces an earlier test run made and could not remove (its process was killed): only those whose process is gone. */
function removeStale(): void {
  let names: string[] = [];
  try {
    names = execFileSync(IP ?? 'ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((line) => line.split(' ')[0] ?? '');
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(new RegExp(`^${PREFIX}-(\\d+)-`).exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    try {
      ip(['netns', 'delete', name]);
    } catch {
      // Another run removed it first.
    }
  }
}

/** The processes inside a namespace of this test's. */
function pidsIn(namespace: string): number[] {
  try {
    return execFileSync(IP ?? 'ip', ['netns', 'pids', namespace], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map(Number)
      .filter((pid) => pid > 0);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes the two namespaces and their link; deleted at teardown (every process still inside them killed first), also when the test fails. */
export async function partition(t: ExecutionContext): Promise<Partition> {
  removeStale();
  const n = ++made;
  const server = `${PREFIX}-${process.pid}-${n}-server`;
  const host = `${PREFIX}-${process.pid}-${n}-host`;
  // Interface names have at most 15 characters.
  const serverEnd = `rf${process.pid}x${n}s`.slice(-15);
  const hostEnd = `rf${process.pid}x${n}h`.slice(-15);
  const children = new Set<ResultPromise>();
  t.teardown(async () => {
    // Every process inside the two namespaces is one this test started (the daemon's own children too).
    for (const name of [server, host]) {
      for (const pid of pidsIn(name)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    await Promise.allSettled([...children]);
    for (const name of [server, host]) {
      try {
        ip(['netns', 'delete', name]);
      } catch {
        // Never made: the setup failed before it.
      }
    }
  });
  ip(['netns', 'add', server]);
  ip(['netns', 'add', host]);
  ip(['link', 'add', serverEnd, 'netns', server, 'type', 'veth', 'peer', 'name', hostEnd, 'netns', host]);
  for (const [namespace, end, address] of [
    [server, serverEnd, SERVER_ADDRESS],
    [host, hostEnd, HOST_ADDRESS],
  ] as const) {
    ip(['-n', namespace, 'address', 'add', `${address}/30`, 'dev', end]);
    ip(['-n', namespace, 'link', 'set', end, 'up']);
    ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
  }
  return {
    server,
    host,
    serverAddress: SERVER_ADDRESS,
    cut: async () => ip(['-n', host, 'link', 'set', hostEnd, 'down']),
    heal: async () => ip(['-n', host, 'link', 'set', hostEnd, 'up']),
    spawn: (namespace, argv, env) => {
      const child = execa(NSENTER ?? 'nsenter', [`--net=/run/netns/${namespace}`, '--', ...argv], { reject: false, env, stdin: 'ignore', buffer: true, forceKillAfterDelay: false });
      children.add(child);
      return watch(child);
    },
  };
}

/** A git daemon inside the partition's server namespace, serving `baseDir` with pushes on; its URL for `repo`. Resolves once it listens. */
export async function gitDaemonIn(p: Partition, baseDir: string): Promise<(repo: string) => string> {
  // git-daemon itself, not `git daemon`: the wrapper would leave its child running when killed.
  const exec = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
  const daemon = p.spawn(p.server, [path.join(exec, 'git-daemon'), '--verbose', '--reuseaddr', `--listen=${p.serverAddress}`, '--port=9418', '--export-all', '--enable=receive-pack', `--base-path=${baseDir}`, baseDir]);
  if (!(await daemon.waitFor('Ready to rumble', 'stderr', 30_000))) {
    daemon.process.kill('SIGKILL');
    await daemon.process;
    throw new Error(`git daemon did not start in ${p.server}: ${daemon.output.stderr.trim()}`);
  }
  return (repo) => `git://${p.serverAddress}/${repo}`;
}

/** Keeps what a child writes, for waiting on a line of it. */
export function watch(child: ResultPromise): Watched {
  const output = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.on('data', (chunk: Buffer) => {
      output[stream] += String(chunk);
      for (const check of waiters) check();
    });
  }
  let ended = false;
  void child.then(() => {
    ended = true;
    for (const check of waiters) check();
  });
  const waitFor = (text: string, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 60_000) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      function done(found: boolean) {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      }
      function check() {
        if (output[stream].includes(text)) done(true);
        else if (ended) done(false);
      }
      waiters.add(check);
      check();
    });
  return { process: child, output, waitFor };
}

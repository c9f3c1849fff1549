import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { git } from '../../src/git/runner.ts';
import { gitDaemon } from './git-daemon.ts';
import { httpBackendUnusable, httpGit } from './http-git.ts';
import { keyPair, sshdUnusable, startSshd, type KeyPair } from './sshd.ts';
import { tempDir } from './temp.ts';

/** The ways a host reaches the coordination repository in tests: every transport an admin would use. */
export type Transport = 'file' | 'git-daemon' | 'http' | 'ssh';

/** Why `transport` cannot be served on this machine (a test over it is then skipped, saying so), or undefined. */
export function transportUnusable(transport: Transport): string | undefined {
  if (transport === 'http') return httpBackendUnusable();
  if (transport === 'ssh') return sshdUnusable();
  return undefined;
}

/**
 * `test` or `test.skip` for a transport, and the suffix its title gets when
 * skipped: a machine without sshd or http-backend shows the skip and why,
 * never a pass.
 */
export function testOver<T>(transport: Transport, run: T, skip: T): { test: T; skipped: string } {
  const why = transportUnusable(transport);
  return why ? { test: skip, skipped: ` [skipped: ${why}]` } : { test: run, skipped: '' };
}

export interface Served {
  /** The URL hosts use. */
  url: string;
  /** Variables the hosts' processes need for it (the ssh command). */
  env: Record<string, string>;
}

/**
 * Serves the bare repository at `repo` over `transport` until the test ends:
 * a `file://` URL, git daemon, smart HTTP (git http-backend, pushes enabled)
 * or a private sshd, all on 127.0.0.1.
 */
export async function serve(t: ExecutionContext, transport: Transport, repo: string): Promise<Served> {
  await allowPushes(transport, repo);
  const server = await serveFolder(t, transport, path.dirname(repo));
  return { url: server.url(repo), env: server.env };
}

export interface Server {
  /** The URL of a bare repository in the served folder. */
  url: (repo: string) => string;
  env: Record<string, string>;
}

/** One server for every bare repository in `folder` (each made ready with `allowPushes`), until the test ends. */
export async function serveFolder(t: ExecutionContext, transport: Transport, folder: string): Promise<Server> {
  const inFolder = (repo: string) => path.relative(folder, repo);
  switch (transport) {
    case 'file':
      return { url: (repo) => `file://${repo}`, env: {} };
    case 'git-daemon': {
      const daemon = await gitDaemon(t, folder);
      return { url: (repo) => daemon.url(inFolder(repo)), env: {} };
    }
    case 'http': {
      const server = await httpGit(t, folder);
      return { url: (repo) => server.url(inFolder(repo)), env: {} };
    }
    case 'ssh':
      return sshServer(t);
  }
}

/** A deployment turns pushes over smart HTTP on for the one repository it serves (docs/deploy.md). */
export async function allowPushes(transport: Transport, repo: string): Promise<void> {
  if (transport === 'http') await git(['config', 'http.receivepack', 'true'], { cwd: repo });
}

interface SshMaterial {
  client: KeyPair;
  host: KeyPair;
  command: string;
}

let material: Promise<SshMaterial> | undefined;

/**
 * One client key, host key and ssh command for this test process: refci runs
 * git with this process's environment, so GIT_SSH_COMMAND cannot differ
 * between tests running at once. Every sshd a test starts uses the host key,
 * so one known_hosts line fits them all; removed when the process exits.
 */
function sshMaterial(): Promise<SshMaterial> {
  material ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-ssh-keys-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const client = await keyPair(dir, 'client');
    const host = await keyPair(dir, 'host');
    const knownHosts = path.join(dir, 'known_hosts');
    fs.writeFileSync(knownHosts, `[127.0.0.1]:* ${host.publicKey}\n`);
    // What a deployment's ssh settings say: this key only, a known host key, never a prompt.
    const command = [
      'ssh',
      '-o BatchMode=yes',
      '-o ConnectTimeout=30',
      `-o IdentityFile=${client.file}`,
      '-o IdentitiesOnly=yes',
      '-o StrictHostKeyChecking=yes',
      `-o UserKnownHostsFile=${knownHosts}`,
      '-o SendEnv=GIT_PROTOCOL',
      '-o LogLevel=ERROR',
    ].join(' ');
    return { client, host, command };
  })();
  return material;
}

async function sshServer(t: ExecutionContext): Promise<Server> {
  const keys = await sshMaterial();
  const dir = tempDir(t, 'refci-sshd-');
  const sshd = await startSshd(dir, `${keys.client.publicKey}\n`, {}, { hostKey: keys.host });
  t.teardown(() => sshd.stop());
  process.env.GIT_SSH_COMMAND = keys.command;
  return { url: (repo) => `ssh://${os.userInfo().username}@127.0.0.1:${sshd.port}${repo}`, env: { GIT_SSH_COMMAND: keys.command } };
}

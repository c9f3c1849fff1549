import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import { freePort, listening } from './ports.ts';
import os from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  /** `ssh -F <file>`: for GIT_SSH_COMMAND; each key is the host alias `coord-<name>`. */
  sshCommand: string;
  stop: () => void;
}

/** Why a private sshd cannot run on this machine, or undefined when it can. */
export function sshdUnusable(): string | undefined {
  if (!fs.existsSync(SSHD)) return `${SSHD} is missing (install openssh-server)`;
  for (const tool of ['ssh', 'ssh-keygen']) {
    const found = (process.env.PATH ?? '').split(':').some((dir) => dir && fs.existsSync(path.join(dir, tool)));
    if (!found) return `${tool} is not on PATH (install openssh-client)`;
  }
  return undefined;
}

export interface KeyPair {
  /** The private key's file; the public key is beside it with .pub. */
  file: string;
  publicKey: string;
}

export async function keyPair(dir: string, name: string): Promise<KeyPair> {
  const file = path.join(dir, name);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return { file, publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
}

/**
 * A private sshd on 127.0.0.1 and a free port, running as this user, with
 * its own host key and `authorizedKeys` (the forced-command lines under
 * test), and a client configuration with one host alias per key. As root,
 * sshd needs its privilege separation folder, which a container may lack.
 */
export async function startSshd(dir: string, authorizedKeys: string, keys: Record<string, string>, options: { hostKey?: KeyPair } = {}): Promise<Sshd> {
  const port = await freePort();
  const hostKey = options.hostKey ?? (await keyPair(dir, 'host_key'));
  fs.writeFileSync(path.join(dir, 'authorized_keys'), authorizedKeys, { mode: 0o600 });
  const root = process.getuid?.() === 0;
  if (root && !fs.existsSync('/run/sshd')) fs.mkdirSync('/run/sshd', { mode: 0o755 });
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey.file}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      // The temp folder sits in world-writable /tmp, which StrictModes would refuse.
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      ...(root ? ['PermitRootLogin prohibit-password'] : []),
      'AcceptEnv GIT_PROTOCOL',
      // sshd runs each command through the login shell, and bash then reads ~/.bashrc (it does for sshd's
      // sessions at shell level 1): whatever the test user's rc files start would run on every login.
      // A deployment's git account has none; with SHLVL set, bash skips them here too.
      'SetEnv SHLVL=1',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const daemon: ResultPromise = execa(SSHD, ['-D', '-e', '-f', config], { reject: false, stdin: 'ignore' });
  let output = '';
  daemon.stderr?.on('data', (chunk) => void (output += String(chunk)));
  let up = false;
  for (let i = 0; i < 100 && !up && daemon.exitCode === null; i++) {
    up = await listening(port);
    if (!up) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!up) {
    daemon.kill('SIGTERM');
    await daemon;
    throw new Error(`sshd did not start: ${output.trim().split('\n').pop() ?? 'no output'}`);
  }
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey.publicKey}\n`);
  const user = os.userInfo().username;
  const client = path.join(dir, 'ssh_config');
  fs.writeFileSync(
    client,
    Object.entries(keys)
      .map(([name, file]) =>
        [
          `Host coord-${name}`,
          '  HostName 127.0.0.1',
          `  Port ${port}`,
          `  User ${user}`,
          `  IdentityFile ${file}`,
          '  IdentitiesOnly yes',
          '  BatchMode yes',
          '  StrictHostKeyChecking yes',
          `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
          '  SendEnv GIT_PROTOCOL',
          '  LogLevel ERROR',
          '',
        ].join('\n'),
      )
      .join(''),
  );
  return { port, sshCommand: `ssh -F ${client}`, stop: () => void daemon.kill('SIGTERM') };
}

import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { tmpdirOf } from '../host/env.ts';
import { loadLater } from '../host/load-later.ts';
import { parsePublicKey, type PublicKey } from '../protocol/public-key.ts';
import { gitEnvironment } from './runner.ts';

/**
 * Git's SSH signatures (gpg.format=ssh), made and checked with ssh-keygen the
 * way git does it: `ssh-keygen -Y sign -n git -f <key>` over the commit
 * payload, `ssh-keygen -Y verify -n git -I <principal>` against an
 * allowed-signers file. ssh-keygen runs with git's environment rules
 * (runner.ts), in a session of its own so that it can never prompt for a
 * passphrase on a terminal, and with a time limit.
 */

const NAMESPACE = 'git';
const TIMEOUT_MS = 30_000;

export interface SigningKey {
  /** The private key file. */
  path: string;
  publicKey: PublicKey;
  /** The armored SSH signature of `payload` (namespace git). */
  sign(payload: string): Promise<string>;
}

const INSTALL = 'install openssh-client (Debian, Ubuntu) or net-misc/openssh (Gentoo)';

/**
 * execa, loaded when a signature is first made or checked: the pre-receive
 * hook starts on every push and checks one only where the configuration asks.
 */
export const loadExeca = loadLater('execa', () => import('execa'));

async function sshKeygen(args: string[], options: { env: NodeJS.ProcessEnv; input?: string; purpose: string }) {
  const { execa } = await loadExeca();
  const result = await execa('ssh-keygen', args, {
    env: gitEnvironment({ SSH_ASKPASS_REQUIRE: 'never' }, options.env),
    extendEnv: false,
    reject: false,
    detached: true,
    timeout: TIMEOUT_MS,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
  });
  const code = (result as { code?: string }).code;
  if (code === 'ENOENT') throw new RefciError('tool', `ssh-keygen is not installed on this host (not found in PATH), and ${options.purpose} needs it`, INSTALL);
  if (result.timedOut) throw new RefciError('tool', `ssh-keygen did not answer within ${TIMEOUT_MS / 1000}s (${options.purpose})`, 'check the host and the key file');
  if (result.exitCode === undefined) throw new RefciError('tool', `ssh-keygen could not run (${options.purpose}): ${String(result.message).split('\n')[0]}`, INSTALL);
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

function firstLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).find((line) => line && !/^@+$/.test(line) && !line.startsWith('Signing data')) ?? '';
}

/**
 * Opens this host's signing key: checks that ssh-keygen is there and that the
 * key is a private key it reads without a passphrase (a worker runs unattended),
 * and learns its public half. Every problem is one line naming the key.
 */
export async function openSigningKey(keyPath: string, env: NodeJS.ProcessEnv): Promise<SigningKey> {
  const file = path.resolve(keyPath);
  const purpose = `signing with ${file}`;
  const derived = await sshKeygen(['-y', '-P', '', '-f', file], { env, purpose });
  const publicKey = derived.exitCode === 0 ? parsePublicKey(derived.stdout) : undefined;
  if (!publicKey?.ok) {
    const why = firstLine(derived.stderr) || (publicKey && !publicKey.ok ? publicKey.reason : `ssh-keygen exited ${derived.exitCode}`);
    throw new RefciError(
      'invalid-input',
      `signing key ${file} cannot be used: ${why}`,
      `give a private key without a passphrase, readable only by this user (ssh-keygen -t ed25519 -N '' -f ${file})`,
    );
  }
  return {
    path: file,
    publicKey: publicKey.value,
    async sign(payload: string): Promise<string> {
      const signed = await sshKeygen(['-Y', 'sign', '-n', NAMESPACE, '-f', file], { env, input: payload, purpose });
      if (signed.exitCode !== 0 || !signed.stdout.includes('-----BEGIN SSH SIGNATURE-----')) {
        throw new RefciError('tool', `ssh-keygen could not sign with ${file}: ${firstLine(signed.stderr) || `exit code ${signed.exitCode}`}`, 'refci doctor --signing-key checks the key');
      }
      return signed.stdout;
    },
  };
}

export type VerifyOutcome = { good: true } | { good: false; detail: string };

/**
 * Whether `signature` is a good signature of `payload` by one of the keys
 * `allowedSigners` (the file's text) lists for `principal`, in namespace git.
 * A bad signature is an outcome; only a host that cannot run ssh-keygen throws.
 */
export async function verifySshSignature(options: {
  allowedSigners: string;
  principal: string;
  signature: string;
  payload: string;
  env: NodeJS.ProcessEnv;
}): Promise<VerifyOutcome> {
  const dir = fs.mkdtempSync(path.join(tmpdirOf(options.env), 'refci-verify-'));
  try {
    const signers = path.join(dir, 'allowed_signers');
    const signature = path.join(dir, 'signature');
    fs.writeFileSync(signers, options.allowedSigners);
    fs.writeFileSync(signature, options.signature);
    const checked = await sshKeygen(['-Y', 'verify', '-n', NAMESPACE, '-f', signers, '-I', options.principal, '-s', signature], {
      env: options.env,
      input: options.payload,
      purpose: 'checking signed results',
    });
    if (checked.exitCode === 0) return { good: true };
    return { good: false, detail: `ssh-keygen: ${firstLine(checked.stderr) || firstLine(checked.stdout) || `exit code ${checked.exitCode}`}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Why this host cannot run ssh-keygen, or undefined when it can (refci doctor). */
export async function sshKeygenProblem(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    // Any answer will do: `-l -f /dev/null` prints an error and exits, it never creates a key.
    await sshKeygen(['-l', '-f', '/dev/null'], { env, purpose: 'signing and checking signatures' });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

import type { FleetConfig } from '../config/types.ts';
import { openSigningKey, sshKeygenProblem } from '../git/ssh-signature.ts';
import { fingerprintOf } from '../protocol/public-key.ts';
import type { DoctorCheck } from './doctor.ts';
import { signingState } from './signing-gate.ts';

const INSTALL = 'install openssh-client (Debian, Ubuntu) or net-misc/openssh (Gentoo)';

/**
 * A worker's signing, as `refci work` would meet it: the key it was given
 * (readable, no passphrase, ssh-keygen there) and whether allowed_signers on
 * the configuration branch lists it for this worker (docs/protocol.md 2.9).
 */
export async function checkWorkerSigning(config: FleetConfig, workerId: string, keyPath: string | undefined, env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  let key;
  if (keyPath) {
    try {
      key = await openSigningKey(keyPath, env);
      checks.push({ name: 'signing key', status: 'ok', detail: `${key.path} (${key.publicKey.type} ${fingerprintOf(key.publicKey)})` });
    } catch (error) {
      const missing = /ssh-keygen is not installed/.test((error as Error).message);
      checks.push({ name: 'signing key', status: 'fail', detail: (error as Error).message, fix: missing ? INSTALL : `make one: ssh-keygen -t ed25519 -N '' -f ${keyPath}` });
      return checks;
    }
  }
  const state = signingState(config, workerId, key?.publicKey);
  if (state.block) checks.push({ name: 'signatures', status: 'fail', detail: `${state.block}; the worker claims nothing until it is fixed`, fix: 'see docs/deploy.md, Signing keys' });
  else if (state.note) checks.push({ name: 'signatures', status: 'warn', detail: state.note, fix: 'see docs/deploy.md, Signing keys' });
  else if (key) checks.push({ name: 'signatures', status: 'ok', detail: `allowed_signers lists this key for ${workerId}${config.requireSignatures ? '; requireSignatures is on' : ''}` });
  return checks;
}

/** The main host checks signed results with ssh-keygen whenever the fleet has keys or requires signatures. */
export async function checkCollectorSigning(config: FleetConfig, env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const workers = new Set((config.allowedSigners ?? []).map((signer) => signer.worker));
  if (!config.requireSignatures && workers.size === 0) return [];
  const what = `${config.requireSignatures ? 'requireSignatures is on' : 'signatures are checked when present'}; allowed_signers lists ${workers.size} worker(s)`;
  const problem = await sshKeygenProblem(env);
  if (problem) return [{ name: 'signatures', status: 'fail', detail: `${what}, but ${problem}; finished jobs stay live until it is there`, fix: INSTALL }];
  return [{ name: 'signatures', status: 'ok', detail: `${what}; ssh-keygen is there to check them` }];
}

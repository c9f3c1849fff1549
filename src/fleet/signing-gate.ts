import type { FleetConfig } from '../config/types.ts';
import { keysOf } from '../protocol/allowed-signers.ts';
import { fingerprintOf, sameKey, type PublicKey } from '../protocol/public-key.ts';

/**
 * Whether a worker's signing fits the configuration, before it claims: a
 * worker whose results the collector would refuse (docs/protocol.md 2.9)
 * claims nothing and says why, rather than burn jobs. `block` stops claiming;
 * `note` is said once and work goes on.
 */
export interface SigningState {
  block?: string;
  note?: string;
}

export function signingState(config: FleetConfig, workerId: string, key: PublicKey | undefined): SigningState {
  const listed = keysOf(config.allowedSigners, workerId);
  const add = `refci worker add ${workerId} <its .pub file> --coord URL`;
  if (!key) {
    if (config.requireSignatures) return { block: 'requireSignatures is on and this worker signs nothing; start it with --signing-key FILE (or REFCI_SIGNING_KEY)' };
    if (listed.length > 0) return { note: `allowed_signers lists a key for ${workerId}, but this worker runs without --signing-key: its results are unsigned` };
    return {};
  }
  if (listed.length === 0) {
    if (config.requireSignatures) return { block: `requireSignatures is on and allowed_signers on refs/heads/config lists no key for ${workerId}; ${add}` };
    return { note: `signing with key ${fingerprintOf(key)}, but allowed_signers lists no key for ${workerId}: its signatures are not checked until ${add}` };
  }
  if (!listed.some((allowed) => sameKey(allowed, key))) {
    return { block: `its signing key ${fingerprintOf(key)} is not one allowed_signers lists for ${workerId}, so its results would be refused; ${add} (--replace drops the old key)` };
  }
  return {};
}

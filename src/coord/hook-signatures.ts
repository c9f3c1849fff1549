import type { FleetConfig } from '../config/types.ts';
import { verifySshSignature } from '../git/ssh-signature.ts';
import { formatAllowedSigners, keysOf } from '../protocol/allowed-signers.ts';
import type { ExtraRule } from '../protocol/authorisation.ts';
import { MAX_RECORD_BYTES } from '../protocol/codec.ts';
import { decodeAs } from '../protocol/record-kind.ts';
import { RESULT } from '../protocol/result.ts';
import { JUDGED_STATUSES } from '../protocol/signature-rule.ts';
import { signatureKind, splitSignedCommit } from '../protocol/signed-commit.ts';
import type { HookReader } from './receive-hook.ts';

/**
 * With `requireSignatures`, the hook holds a worker's lock commits (claim,
 * heartbeat, release, takeover) and judged result commits to a good SSH
 * signature by a key allowed_signers lists for that worker. The collector
 * checks the same of every result it publishes (docs/protocol.md 2.9); the
 * hook stops a leaked transport credential from even claiming. Closing
 * results (`error`, `cancelled`) may stay unsigned, as there; a signature on
 * one must still be good. A host that cannot run ssh-keygen refuses: the
 * rule fails closed.
 */
export function workerSignatureRule(config: FleetConfig, reader: HookReader, env: NodeJS.ProcessEnv): ExtraRule | undefined {
  if (!config.requireSignatures) return undefined;
  const signers = config.allowedSigners ?? [];
  return async ({ request, update, target }) => {
    // A result ref moves with its lock, to the same commit: the lock's check covers it.
    if (request.pusher.role !== 'worker' || target.kind !== 'locks' || update.newOid === null) return undefined;
    const worker = request.pusher.name;
    const commit = splitSignedCommit(await reader.commitText(update.newOid));
    const kind = signatureKind(commit);
    const what = await describe(reader, update.newOid);
    if (kind === 'unsigned') {
      if (what.closing) return undefined;
      return `requireSignatures is on and this ${what.name} commit of worker ${worker} is not signed (start the worker with --signing-key)`;
    }
    if (kind === 'other') return `the signature of this ${what.name} commit is not an SSH signature (workers sign with ssh-keygen, namespace git)`;
    if (keysOf(signers, worker).length === 0) return `allowed_signers on refs/heads/config has no key for worker ${worker} (refci worker add ${worker} <public key> adds it)`;
    try {
      const outcome = await verifySshSignature({ allowedSigners: formatAllowedSigners(signers), principal: worker, signature: commit.signature!, payload: commit.payload, env });
      return outcome.good ? undefined : `the signature of this ${what.name} commit is not a good signature of worker ${worker}: ${outcome.detail}`;
    } catch (error) {
      return `the coordination host cannot check signatures (${(error as Error).message.split('\n')[0]}), so it accepts no ${what.name} while requireSignatures is on`;
    }
  };
}

async function describe(reader: HookReader, oid: string): Promise<{ name: string; closing: boolean }> {
  const read = await reader.read(oid, RESULT.file, MAX_RECORD_BYTES);
  if (read.kind === 'missing') return { name: 'lock', closing: false };
  const result = read.kind === 'ok' ? decodeAs(RESULT, read.content) : undefined;
  const closing = result?.ok === true && !JUDGED_STATUSES.includes(result.value.status);
  return { name: result?.ok ? `${result.value.status} result` : 'result', closing };
}

import { keysOf, workersOfKey, type AllowedSigner } from './allowed-signers.ts';
import type { LockRecord } from './lock.ts';
import { fingerprintOf, type PublicKey } from './public-key.ts';
import type { ResultRecord } from './result.ts';
import type { SignatureKind } from './signed-commit.ts';

/**
 * Which results the collector may publish, as far as signatures go
 * (docs/protocol.md, section 2.9). A *judged* result (`success` or `failure`:
 * a verdict on the pull request) is published only when its commit is signed
 * by the worker it names, with a key `allowed_signers` lists for that worker,
 * and that worker holds the job's lock: the lock commit the result extends
 * and the claim or takeover that began the attempt name the same worker and
 * attempt, and that claim or takeover is signed by it too.
 *
 * `requireSignatures` decides what an unsigned commit means. When it is off, an
 * unsigned result is taken as before (fleets that do not sign go on working),
 * and so is a signed one whose worker has no key listed yet; a signature that
 * is there and checkable must be good. When it is on, a judged result must be
 * signed. `error` and `cancelled` results may stay unsigned either way: any
 * host's sweep writes them (a lease that ran out, a malformed job), they are
 * never green, and a signature on one must still be good when the worker it
 * names has a key listed.
 */

export const JUDGED_STATUSES: ReadonlyArray<ResultRecord['status']> = ['success', 'failure'];

export interface HolderFacts {
  /** The lock commit the result extends (its parent), and its record. */
  last: LockRecord;
  /** The claim or takeover that began the attempt, its commit and whether it is signed. */
  start: LockRecord;
  startOid: string;
  startSignature: SignatureKind;
}

export interface SignatureFacts {
  requireSignatures: boolean;
  signers: AllowedSigner[];
  result: Pick<ResultRecord, 'worker' | 'attempt' | 'status'>;
  resultOid: string;
  resultSignature: SignatureKind;
  /** The key the result's signature names, for telling who signed it. */
  resultKey?: PublicKey;
  /** The lock the result extends, or why there is none to speak of. */
  holder: HolderFacts | { problem: string };
}

/** A signature to check with ssh-keygen: the commit, and the worker whose allowed keys must have made it. */
export interface SignatureCheck {
  oid: string;
  what: 'result' | 'claim';
  worker: string;
}

export type SignaturePlan =
  | { kind: 'accept' }
  | { kind: 'refuse'; reason: string }
  | { kind: 'verify'; checks: SignatureCheck[] };

const ADD_KEY = (worker: string) => `refci worker add ${worker} <public key> adds it`;

export function signaturePlan(facts: SignatureFacts): SignaturePlan {
  const { result, requireSignatures } = facts;
  const worker = result.worker;
  const judged = JUDGED_STATUSES.includes(result.status);
  if (facts.resultSignature === 'other') return { kind: 'refuse', reason: 'its signature is not an SSH signature (workers sign with ssh-keygen, namespace git)' };
  if (facts.resultSignature === 'unsigned') {
    if (!requireSignatures || !judged) return { kind: 'accept' };
    return { kind: 'refuse', reason: `the result commit of worker ${worker} is not signed, and requireSignatures is on` };
  }
  if (keysOf(facts.signers, worker).length === 0) {
    // Nothing to check it against: taken as an unsigned result would be.
    if (!requireSignatures || !judged) return { kind: 'accept' };
    return { kind: 'refuse', reason: `it is signed, but allowed_signers on refs/heads/config has no key for worker ${worker} (${ADD_KEY(worker)})` };
  }
  const checks: SignatureCheck[] = [{ oid: facts.resultOid, what: 'result', worker }];
  if (judged) {
    if ('problem' in facts.holder) return { kind: 'refuse', reason: `it names worker ${worker}, but ${facts.holder.problem}` };
    const { last, start } = facts.holder;
    for (const lock of [last, start]) {
      if (lock.worker !== worker) return { kind: 'refuse', reason: `it names worker ${worker}, but the lock it extends is held by ${lock.worker} (attempt ${lock.attempt})` };
      if (lock.attempt !== result.attempt) return { kind: 'refuse', reason: `it is for attempt ${result.attempt}, but the lock it extends is attempt ${lock.attempt} of ${lock.worker}` };
    }
    if (facts.holder.startSignature === 'other') return { kind: 'refuse', reason: `the ${start.event} of attempt ${start.attempt} has a signature that is not an SSH signature` };
    if (facts.holder.startSignature === 'ssh') checks.push({ oid: facts.holder.startOid, what: 'claim', worker });
    else if (requireSignatures) return { kind: 'refuse', reason: `the ${start.event} of attempt ${start.attempt} by ${worker} is not signed, and requireSignatures is on` };
  }
  return { kind: 'verify', checks };
}

/**
 * Why a signature that ssh-keygen did not accept is refused, in words that
 * name the signer when the key tells (a key of another worker: a forgery).
 */
export function failedCheckReason(check: SignatureCheck, signers: AllowedSigner[], key: PublicKey | undefined, detail: string): string {
  const what = check.what === 'result' ? 'the result' : 'the claim of its attempt';
  const owners = key ? workersOfKey(signers, key).filter((owner) => owner !== check.worker) : [];
  if (owners.length > 0) return `${what} names worker ${check.worker} but is signed with the key of ${owners.join(', ')}`;
  const by = key ? ` (key ${fingerprintOf(key)})` : '';
  return `the signature of ${what} is not a good signature of worker ${check.worker}${by}: ${detail}`;
}

/** The reason an archived refused result carries, and the collector logs. */
export function refusalReason(reason: string): string {
  return `result refused, not published: ${reason}; the job may be run again with refci retry`;
}

import type { FleetConfig } from '../config/types.ts';
import { readCommitText } from '../git/objects.ts';
import { firstParentLog } from '../git/log.ts';
import { verifySshSignature } from '../git/ssh-signature.ts';
import { formatAllowedSigners } from '../protocol/allowed-signers.ts';
import { LOCK } from '../protocol/lock.ts';
import { failedCheckReason, JUDGED_STATUSES, signaturePlan, type HolderFacts } from '../protocol/signature-rule.ts';
import { signatureKind, signingKeyOf, splitSignedCommit } from '../protocol/signed-commit.ts';
import { resultOf, type LiveJob } from '../protocol/snapshot.ts';
import type { CoordClone } from './clone.ts';
import { readRecords } from './records.ts';

/** How far down a lock chain to look for the attempt's claim: heartbeats of a day-long job at a 10 s interval. */
const MAX_CHAIN = 10_000;

/**
 * Why the collector must not publish a finished job's result, as far as
 * signatures go (the rule is protocol/signature-rule.ts), or undefined when it
 * may. Reads the result commit, the lock commit it extends and the claim or
 * takeover that began the attempt from the clone; asks ssh-keygen about each
 * signature the rule names. Throws only when this host cannot check (no
 * ssh-keygen): the job then stays live, nothing is decided on it.
 */
export async function signatureRefusal(clone: CoordClone, live: LiveJob, config: FleetConfig, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const result = resultOf(live);
  if (!result || !live.result) return undefined;
  // A fleet without keys that does not require signatures accepts every result: nothing to read.
  if (!config.requireSignatures && !config.allowedSigners?.length) return undefined;
  const resultCommit = splitSignedCommit(await readCommitText(clone.gitdir, live.result.oid));
  const resultSignature = signatureKind(resultCommit);
  const judged = JUDGED_STATUSES.includes(result.status);
  if (resultSignature === 'unsigned' && (!config.requireSignatures || !judged)) return undefined;
  const signers = config.allowedSigners ?? [];
  const plan = signaturePlan({
    requireSignatures: config.requireSignatures,
    signers,
    result,
    resultOid: live.result.oid,
    resultSignature,
    resultKey: resultCommit.signature ? signingKeyOf(resultCommit.signature) : undefined,
    holder: judged ? await holderOf(clone, live.id, resultCommit.parents[0]) : { problem: 'not needed' },
  });
  if (plan.kind === 'accept') return undefined;
  if (plan.kind === 'refuse') return plan.reason;
  for (const check of plan.checks) {
    const commit = check.oid === live.result.oid ? resultCommit : splitSignedCommit(await readCommitText(clone.gitdir, check.oid));
    const signature = commit.signature ?? '';
    const outcome = await verifySshSignature({ allowedSigners: formatAllowedSigners(signers), principal: check.worker, signature, payload: commit.payload, env });
    if (!outcome.good) return failedCheckReason(check, signers, signingKeyOf(signature), outcome.detail);
  }
  return undefined;
}

/**
 * Who holds the lock a judged result extends: the lock commit that is its
 * parent (the holder's last one) and the claim or takeover that began that
 * attempt, found down the chain's first parents.
 */
async function holderOf(clone: CoordClone, id: string, parent: string | undefined): Promise<HolderFacts | { problem: string }> {
  if (!parent) return { problem: 'the result commit extends no lock commit' };
  const last = (await readRecords(clone.gitdir, LOCK, [parent])).get(parent);
  if (!last?.ok || last.value.job !== id) return { problem: `the commit it extends (${parent.slice(0, 12)}) is not a lock commit of job ${id}` };
  if (last.value.event === 'release') return { problem: `the lock it extends was handed back by ${last.value.worker} (release)` };
  let startOid = parent;
  if (last.value.event === 'heartbeat') {
    const chain = await firstParentLog(clone.gitdir, parent, MAX_CHAIN).catch(() => []);
    const start = chain.find((entry) => ['claim', 'takeover'].includes(entry.trailers['Refci-Event'] ?? ''));
    if (!start) return { problem: `no claim or takeover begins the attempt of the lock it extends` };
    startOid = start.oid;
  }
  const start = startOid === parent ? last : (await readRecords(clone.gitdir, LOCK, [startOid])).get(startOid);
  if (!start?.ok || start.value.job !== id || !['claim', 'takeover'].includes(start.value.event)) {
    return { problem: `the commit that begins the attempt (${startOid.slice(0, 12)}) is not a claim or takeover of job ${id}` };
  }
  const startSignature = signatureKind(splitSignedCommit(await readCommitText(clone.gitdir, startOid)));
  return { last: last.value, start: start.value, startOid, startSignature };
}

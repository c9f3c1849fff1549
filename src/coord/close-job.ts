import type { CoordClone } from './clone.ts';
import type { CommitSigner, FileTree } from '../git/objects.ts';
import type { PushResult, RefUpdate } from '../git/push.ts';
import { writeRecord } from './records.ts';
import { pushLanded } from './push-landed.ts';
import type { Clock } from '../host/clock.ts';
import { isoOf } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { jobRef, lockRef, resultRef } from '../protocol/refs.ts';
import { RESULT, type ResultRecord, type ResultStatus } from '../protocol/result.ts';
import type { SweepAction } from '../protocol/sweep.ts';
import type { Snapshot } from '../protocol/snapshot.ts';

/**
 * Publishes a result in one atomic push: the result ref is created (it must
 * not exist) and the lock ref moves, under its lease, to the result commit
 * (created for a job that was never locked). The lock ref stays until the job
 * is archived, so a worker with an older view can never claim a finished job
 * again; a worker whose lease was taken over fails the swap and publishes
 * nothing. With `sign`, the result commit carries the writer's signature,
 * which the collector checks before it publishes (docs/protocol.md 2.9).
 */
export async function publishResult(clone: CoordClone, options: CloseOptions): Promise<PushResult> {
  const author = signatureFor('worker', options.actor, options.clock.now());
  const oid = await writeRecord(clone.gitdir, RESULT, options.result, { parents: [options.parent], author, artifacts: options.artifacts, sign: options.sign });
  const updates: RefUpdate[] = [
    { ref: resultRef(options.result.job), newOid: oid, expect: null },
    { ref: lockRef(options.result.job), newOid: oid, expect: options.lockTip ?? null },
  ];
  // Checked, not changed: the job ref must still be the job this worker claimed (archiving deletes it).
  if (options.jobOid) updates.push({ ref: jobRef(options.result.job), newOid: options.jobOid, expect: options.jobOid });
  // The next claim of the same worker, in the same atomic push (docs/protocol.md section 4).
  updates.push(...(options.also ?? []));
  // A worker reads nothing locally before its next fetch, which mirrors the remote anyway.
  const pushed = await clone.push(updates, { mirror: options.mirror });
  if (pushed.outcome !== 'failed') return pushed;
  // The connection broke: the repository may have taken the push before it. Checked refs say nothing either way.
  const changes = updates.filter((update) => update.newOid !== update.expect);
  if ((await pushLanded(clone, changes, pushed)) !== 'all') return pushed;
  return { ...pushed, won: true, outcome: 'won', cause: '', answerLost: pushed.cause };
}

export interface CloseOptions {
  result: ResultRecord;
  artifacts: FileTree;
  parent: string;
  lockTip?: string;
  /**
   * The job commit the result is for: the push then also checks that
   * `refs/ci/jobs/<id>` still holds it, so a claim that won after the job was
   * archived publishes nothing (its push is refused on the job ref).
   */
  jobOid?: string;
  /** Whether the local refs follow a won push (default true). */
  mirror?: boolean;
  /** Updates of another transition pushed atomically with this one (a worker's next claim). */
  also?: RefUpdate[];
  actor: string;
  clock: Clock;
  sign?: CommitSigner;
}

/** publishResult, for callers that only ask whether it won. */
export async function closeJob(clone: CoordClone, options: CloseOptions): Promise<boolean> {
  return (await publishResult(clone, options)).won;
}

/** A result for a job that ends without running: malformed, given up, or cancelled while its holder was gone. */
export function closingResult(id: string, status: ResultStatus, reason: string, actor: string, attempt: number, nowMs: number): ResultRecord {
  const at = isoOf(nowMs);
  return {
    version: 1,
    job: id,
    status,
    reason,
    worker: actor,
    attempt,
    startedAt: at,
    finishedAt: at,
    durationMs: 0,
    tools: {},
    steps: [],
    artifacts: [],
    sandboxed: false,
    details: {},
  };
}

/** Carries out the sweep's decisions; losing a race here only means another host did it first. Undefined: nothing to push. */
export async function applySweepAction(
  clone: CoordClone,
  snapshot: Snapshot,
  action: SweepAction,
  actor: string,
  clock: Clock,
  sign?: CommitSigner,
): Promise<PushResult | undefined> {
  const live = snapshot.get(action.id);
  if (!live?.job) return undefined;
  if (action.kind === 'reject' || action.kind === 'give-up-queued') {
    const lockOid = action.kind === 'reject' ? action.lockOid : undefined;
    const result = closingResult(action.id, 'error', action.reason, actor, 0, clock.now());
    // On a lock, the result extends the lock's chain (which reaches the job), so no lock commit is left unreachable.
    return publishResult(clone, { result, artifacts: {}, parent: lockOid ?? live.job.oid, lockTip: lockOid, actor, clock, sign });
  }
  const status = action.kind === 'expire' ? 'error' : 'cancelled';
  const result = closingResult(action.id, status, action.reason, actor, action.attempt, clock.now());
  return publishResult(clone, { result, artifacts: {}, parent: action.lockOid, lockTip: action.lockOid, actor, clock, sign });
}

import { randomBytes } from 'node:crypto';
import type { CoordClone } from '../coord/clone.ts';
import type { PushResult, RefUpdate } from '../git/push.ts';
import { writeRecord } from '../coord/records.ts';
import type { CommitSigner } from '../git/objects.ts';
import type { Clock } from '../host/clock.ts';
import { isoOf } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { LOCK, type LockEvent, type LockRecord } from '../protocol/lock.ts';
import { cancelRef, jobRef, lockRef } from '../protocol/refs.ts';
import type { Claimable } from '../protocol/sweep.ts';

export interface WorkerIdentity {
  id: string;
  host: string;
  leaseSec: number;
  tools: Record<string, string>;
  /** Signs the worker's lock and result commits with its own key (--signing-key); unsigned without one. */
  sign?: CommitSigner;
}

/** A claim ready to push (Lease.prepare). */
export interface PreparedClaim {
  claim: Claimable;
  updates: RefUpdate[];
  /** The lease held once `updates` won. */
  lease: Lease;
}

export function newNonce(): string {
  return randomBytes(12).toString('hex');
}

function lockRecord(worker: WorkerIdentity, job: string, event: LockEvent, attempt: number, now: number, previousWorker?: string, reasons?: string[]): LockRecord {
  return {
    version: 1,
    job,
    event,
    worker: worker.id,
    host: worker.host,
    attempt,
    leaseSec: worker.leaseSec,
    nonce: newNonce(),
    at: isoOf(now),
    tools: worker.tools,
    ...(previousWorker ? { previousWorker } : {}),
    ...(reasons ? { reasons } : {}),
  };
}

/**
 * A lease this worker holds on one job. `tip` is the last lock commit it
 * pushed: every renewal and the final result are compare-and-swaps against
 * it, so once another worker has taken the job over nothing of ours lands.
 */
export class Lease {
  constructor(
    readonly clone: CoordClone,
    readonly worker: WorkerIdentity,
    readonly claim: Claimable,
    public tip: string,
    private readonly clock: Clock,
  ) {}

  /** A heartbeat commit whose push failed without a refusal: pushed again, unchanged, by the next renewal. */
  private pending?: string;

  get jobId(): string {
    return this.claim.id;
  }

  /**
   * Tries to take the job: create-only for a free job, a swap for a stale
   * lock. Undefined when it did not win; a push that failed without losing
   * the race (the repository refused it, or could not be reached) is also
   * passed to `failed` with git's cause, so it is never taken for a lost race;
   * a lost race is passed to `lost`.
   */
  static async acquire(
    clone: CoordClone,
    worker: WorkerIdentity,
    claim: Claimable,
    clock: Clock,
    failed?: (cause: string) => void,
    lost?: (cause: string) => void,
  ): Promise<Lease | undefined> {
    const prepared = await Lease.prepare(clone, worker, claim, clock);
    const pushed = await clone.push(prepared.updates, { mirror: false });
    if (pushed.outcome === 'failed') failed?.(pushed.cause);
    if (pushed.outcome === 'refused') lost?.(pushed.cause);
    return pushed.won ? prepared.lease : undefined;
  }

  /**
   * A claim written but not pushed: its lock commit, the ref updates that
   * push it (the lock create-only or swapped from the stale tip, and the job
   * ref checked, not changed: a job archived since this worker's view, which
   * deletes its lock too, is not claimed), and the lease it is once they win.
   * A worker pushes them alone, or with the result of the job it ends.
   */
  static async prepare(clone: CoordClone, worker: WorkerIdentity, claim: Claimable, clock: Clock): Promise<PreparedClaim> {
    const event: LockEvent = claim.expect === null ? 'claim' : 'takeover';
    const record = lockRecord(worker, claim.id, event, claim.attempt, clock.now(), claim.previousWorker);
    const parent = claim.expect ?? claim.jobOid;
    const oid = await writeRecord(clone.gitdir, LOCK, record, { parents: [parent], author: signatureFor('worker', worker.id, clock.now()), sign: worker.sign });
    return {
      claim,
      updates: [
        { ref: lockRef(claim.id), newOid: oid, expect: claim.expect },
        { ref: jobRef(claim.id), newOid: claim.jobOid, expect: claim.jobOid },
      ],
      lease: new Lease(clone, worker, claim, oid, clock),
    };
  }

  /** Gives the lock back untouched (shutdown, or a job that was gone). */
  async release(): Promise<boolean> {
    return (await this.clone.push([{ ref: lockRef(this.jobId), newOid: null, expect: this.tip }], { mirror: false })).won;
  }

  /**
   * Hands the job back after a failure of this host (a tool or the sandbox
   * could not start): a `release` lock commit on our tip, which any worker
   * may take over at once as the next attempt. Deleting the lock would lose
   * the attempt count; waiting for the lease to expire would idle the job.
   */
  async handBack(reason: string): Promise<PushResult> {
    const reasons = [...(this.claim.infrastructure ?? []), reason].slice(-100);
    const record = lockRecord(this.worker, this.jobId, 'release', this.claim.attempt, this.clock.now(), undefined, reasons);
    const oid = await writeRecord(this.clone.gitdir, LOCK, record, { parents: [this.tip], author: signatureFor('worker', this.worker.id, this.clock.now()), sign: this.worker.sign });
    const pushed = await this.clone.push([{ ref: lockRef(this.jobId), newOid: oid, expect: this.tip }], { mirror: false });
    if (pushed.won) this.tip = oid;
    return pushed;
  }

  /**
   * Renews the lease; says whether it still holds and whether a cancel was
   * requested. Only a refused swap (another host moved the lock) loses the
   * lease. A push that failed otherwise (no connection, a remote error) says
   * `failed` with git's cause and keeps its heartbeat commit: the next renewal
   * pushes the same commit again, so one that landed although git reported a
   * failure is recognised (the remote is already at it) instead of looking
   * like a lost swap. `files` go into the heartbeat commit's tree beside
   * `lock.json`: the live log (protocol/live-log.ts).
   */
  async renew(files?: Record<string, string | Uint8Array>): Promise<{ state: 'held' | 'lost' | 'cancelled' } | { state: 'failed'; cause: string }> {
    if (await this.cancelRequested()) return { state: 'cancelled' };
    if (!this.pending) {
      const record = lockRecord(this.worker, this.jobId, 'heartbeat', this.claim.attempt, this.clock.now());
      const author = signatureFor('worker', this.worker.id, this.clock.now());
      this.pending = await writeRecord(this.clone.gitdir, LOCK, record, { parents: [this.tip], author, artifacts: files, sign: this.worker.sign });
    }
    const oid = this.pending;
    const pushed = await this.clone.push([{ ref: lockRef(this.jobId), newOid: oid, expect: this.tip }], { mirror: false });
    const landed = pushed.refs.get(lockRef(this.jobId))?.outcome === 'up-to-date';
    if (pushed.won || landed) {
      this.tip = oid;
      this.pending = undefined;
      return { state: 'held' };
    }
    if (pushed.outcome === 'refused') return { state: 'lost' };
    return { state: 'failed', cause: pushed.cause };
  }

  private async cancelRequested(): Promise<boolean> {
    return (await this.clone.remoteTips([cancelRef(this.jobId)])).has(cancelRef(this.jobId));
  }
}

import { randomBytes } from 'node:crypto';
import type { CoordClone } from '../git/clone.ts';
import { writeLockCommit } from '../git/record-commits.ts';
import { git } from '../git/run.ts';
import type { Clock } from '../host/clock.ts';
import { isoOf } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import type { LockEvent, LockRecord } from '../protocol/lock.ts';
import { cancelRef, jobRef, lockRef } from '../protocol/refs.ts';
import type { Claimable } from '../protocol/sweep.ts';

export interface WorkerIdentity {
  id: string;
  host: string;
  leaseSec: number;
  tools: Record<string, string>;
}

export function newNonce(): string {
  return randomBytes(12).toString('hex');
}

function lockRecord(worker: WorkerIdentity, job: string, event: LockEvent, attempt: number, now: number, previousWorker?: string): LockRecord {
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

  get jobId(): string {
    return this.claim.id;
  }

  /** Tries to take the job: create-only for a free job, a swap for a stale lock. */
  static async acquire(clone: CoordClone, worker: WorkerIdentity, claim: Claimable, clock: Clock): Promise<Lease | undefined> {
    const event: LockEvent = claim.expect === null ? 'claim' : 'takeover';
    const record = lockRecord(worker, claim.id, event, claim.attempt, clock.now(), claim.previousWorker);
    const parent = claim.expect ?? claim.jobOid;
    const oid = await writeLockCommit(clone.gitdir, record, parent, signatureFor('worker', worker.id, clock.now()));
    const pushed = await clone.push([{ ref: lockRef(claim.id), newOid: oid, expect: claim.expect }], { mirror: false });
    return pushed.won ? new Lease(clone, worker, claim, oid, clock) : undefined;
  }

  /**
   * Whether the job this lease holds is still live and not cancelled. A
   * create-only claim can also win after the job was finished and archived
   * since this worker fetched, because archiving deletes the lock; archiving
   * deletes the job ref in the same push, so the job ref tells. The check is
   * off the claim's critical path: the worker runs it beside the job and
   * before it publishes. A takeover needs no check: its swap names the tip.
   */
  async stillLive(): Promise<boolean> {
    if (this.claim.expect !== null) return true;
    const remote = await remoteRefs(this.clone, [jobRef(this.jobId), cancelRef(this.jobId)]);
    return remote.get(jobRef(this.jobId)) === this.claim.jobOid && !remote.has(cancelRef(this.jobId));
  }

  /** Gives the lock back untouched (shutdown, or a job that was gone). */
  async release(): Promise<boolean> {
    return (await this.clone.push([{ ref: lockRef(this.jobId), newOid: null, expect: this.tip }], { mirror: false })).won;
  }

  /** Renews the lease; says whether it still holds and whether a cancel was requested. */
  async renew(): Promise<'held' | 'lost' | 'cancelled'> {
    if (await this.cancelRequested()) return 'cancelled';
    const record = lockRecord(this.worker, this.jobId, 'heartbeat', this.claim.attempt, this.clock.now());
    const oid = await writeLockCommit(this.clone.gitdir, record, this.tip, signatureFor('worker', this.worker.id, this.clock.now()));
    const pushed = await this.clone.push([{ ref: lockRef(this.jobId), newOid: oid, expect: this.tip }], { mirror: false });
    if (!pushed.won) return 'lost';
    this.tip = oid;
    return 'held';
  }

  private async cancelRequested(): Promise<boolean> {
    return (await remoteRefs(this.clone, [cancelRef(this.jobId)])).has(cancelRef(this.jobId));
  }
}

/** The remote's current tips of a few refs, by one protocol v2 ls-refs (only matching refs are sent). */
async function remoteRefs(clone: CoordClone, refs: string[]): Promise<Map<string, string>> {
  const out = await git(['-c', 'protocol.version=2', 'ls-remote', clone.remote, ...refs], { cwd: clone.gitdir });
  const tips = new Map<string, string>();
  for (const line of out.stdout.split('\n')) {
    const [oid, ref] = line.split('\t');
    if (ref && refs.includes(ref)) tips.set(ref, oid);
  }
  return tips;
}

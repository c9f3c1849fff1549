import { isLeaseExpired, type SeenLocks } from './lease.ts';
import type { JobDescriptor } from './job.ts';
import { descriptorOf, lockOf, stateOf, type LiveJob, type Snapshot } from './snapshot.ts';

/** A job that a worker may try to lock now. `expect` is the lease for the compare-and-swap. */
export interface Claimable {
  id: string;
  job: JobDescriptor;
  jobOid: string;
  attempt: number;
  /** null: the lock ref must not exist; an oid: the stale lock tip being taken over. */
  expect: string | null;
  previousWorker?: string;
  /** The job was handed back (a `release` lock event): why each earlier attempt could not run. */
  infrastructure?: string[];
}

/** Work that ends a job without running it; any host may do it, the lease makes it safe. */
export type SweepAction =
  /** A malformed job; `lockOid` when a lock already sits on it (the closing result must move that lock too). */
  | { kind: 'reject'; id: string; reason: string; lockOid?: string }
  /** A job still queued `queueTimeoutSec` after it was enqueued: no worker serves its pipeline, or none can. */
  | { kind: 'give-up-queued'; id: string; reason: string }
  | { kind: 'expire'; id: string; lockOid: string; attempt: number; reason: string }
  | { kind: 'finish-cancelled'; id: string; lockOid: string; attempt: number; reason: string };

export interface SweepInput {
  snapshot: Snapshot;
  seen: SeenLocks;
  nowMs: number;
  /** Lease assumed for a lock whose record cannot be read. */
  defaultLeaseSec: number;
  /**
   * A job still queued this long after its `createdAt` (the enqueuer's clock
   * against this host's: a wait of hours makes clock skew irrelevant) ends as
   * an error. Undefined: queued jobs wait for ever.
   */
  queueTimeoutSec?: number;
}

export interface SweepPlan {
  claimable: Claimable[];
  actions: SweepAction[];
  /**
   * The earliest time at which time alone changes this plan, with no ref
   * moving: a lease seen in this snapshot runs out (if its tip stays), or a
   * queued job reaches the queue timeout. Undefined when nothing here waits
   * on time. A host that is told of every ref change (a watched repository)
   * need not look again before it.
   */
  nextChangeMs?: number;
}

/** Decides, from one snapshot, what can be claimed and what must be closed. */
export function planSweep(input: SweepInput): SweepPlan {
  const claimable: Claimable[] = [];
  const actions: SweepAction[] = [];
  let nextChangeMs: number | undefined;
  const changesAt = (ms: number) => {
    if (ms > input.nowMs && (nextChangeMs === undefined || ms < nextChangeMs)) nextChangeMs = ms;
  };
  for (const live of input.snapshot.values()) {
    const state = stateOf(live);
    if (state === 'malformed') {
      const reason = live.job && !live.job.record.ok ? live.job.record.reason : 'unreadable job';
      // A lock on it (claimed by a host that read it otherwise) is moved by the same swap, so it cannot keep the job for ever.
      actions.push({ kind: 'reject', id: live.id, reason: `malformed job: ${reason}`, ...(live.lock ? { lockOid: live.lock.oid } : {}) });
      continue;
    }
    const job = descriptorOf(live);
    if (!job || !live.job) continue;
    if (state === 'queued') {
      const ageMs = input.nowMs - Date.parse(job.createdAt);
      if (input.queueTimeoutSec !== undefined && ageMs >= input.queueTimeoutSec * 1000) {
        actions.push({ kind: 'give-up-queued', id: live.id, reason: queuedTooLong(job, input.queueTimeoutSec) });
        continue;
      }
      if (input.queueTimeoutSec !== undefined && Number.isFinite(ageMs)) changesAt(input.nowMs - ageMs + input.queueTimeoutSec * 1000);
      claimable.push({ id: live.id, job, jobOid: live.job.oid, attempt: 1, expect: null });
      continue;
    }
    if (state !== 'running' && state !== 'cancelling') continue;
    const stale = staleLock(live, input);
    if (!stale) {
      const ends = leaseEndsAtMs(live, input);
      if (ends !== undefined) changesAt(ends);
      continue;
    }
    if (stale.infrastructure && state === 'running') {
      if (stale.attempt >= job.maxAttempts) {
        actions.push({ kind: 'expire', id: live.id, lockOid: stale.oid, attempt: stale.attempt, reason: infrastructureReason(stale.infrastructure, stale.attempt, job.maxAttempts) });
      } else {
        claimable.push(takeover(live.id, job, live.job.oid, stale));
      }
      continue;
    }
    if (state === 'cancelling') {
      actions.push({
        kind: 'finish-cancelled',
        id: live.id,
        lockOid: stale.oid,
        attempt: stale.attempt,
        reason: `cancelled; the lease of ${stale.worker} expired before it stopped`,
      });
    } else if (stale.attempt >= job.maxAttempts) {
      actions.push({
        kind: 'expire',
        id: live.id,
        lockOid: stale.oid,
        attempt: stale.attempt,
        reason: `lease of ${stale.worker} expired on attempt ${stale.attempt} of ${job.maxAttempts}; giving up`,
      });
    } else {
      claimable.push(takeover(live.id, job, live.job.oid, { ...stale, infrastructure: undefined }));
    }
  }
  return { claimable: orderForClaim(claimable), actions, ...(nextChangeMs !== undefined ? { nextChangeMs } : {}) };
}

/** The reason of a job given up because no attempt could run: the fleet's fault, never the pull request's. */
export function infrastructureReason(reasons: string[], attempt: number, maxAttempts: number): string {
  const said = [...new Set(reasons.map((reason) => reason.replace(/^CI infrastructure problem: /, '')))];
  return `CI infrastructure problem: ${said.join('; ')} (attempt ${attempt} of ${maxAttempts}; giving up, the pull request was not judged)`;
}

function queuedTooLong(job: JobDescriptor, limitSec: number): string {
  const hours = limitSec % 3600 === 0 ? `${limitSec / 3600} h` : `${limitSec} s`;
  return `queued for more than ${hours} (queueTimeoutSec) without a worker taking it; check that a worker serves pipeline ${job.pipeline} (refci status shows why none does)`;
}

/** The next attempt of a job whose lock is stale or released: a swap of that lock tip. */
function takeover(id: string, job: JobDescriptor, jobOid: string, stale: { oid: string; attempt: number; worker: string; infrastructure?: string[] }): Claimable {
  return {
    id,
    job,
    jobOid,
    attempt: stale.attempt + 1,
    expect: stale.oid,
    previousWorker: stale.worker,
    ...(stale.infrastructure ? { infrastructure: stale.infrastructure } : {}),
  };
}

/** When the lease of the lock seen in this snapshot runs out if its tip stays as it is (the observer's clock). */
function leaseEndsAtMs(live: LiveJob, input: SweepInput): number | undefined {
  const seen = input.seen[live.id];
  if (!live.lock || !seen) return undefined;
  return seen.firstSeenMs + leaseSecOf(live, input) * 1000;
}

function leaseSecOf(live: LiveJob, input: SweepInput): number {
  return lockOf(live)?.leaseSec ?? input.defaultLeaseSec;
}

function staleLock(live: LiveJob, input: SweepInput) {
  if (!live.lock) return undefined;
  const lock = lockOf(live);
  // A released lock is free at once: its holder gave the job back, nobody waits for a lease.
  if (lock?.event === 'release') return { oid: live.lock.oid, attempt: lock.attempt, worker: lock.worker, infrastructure: lock.reasons ?? ['a worker released the job'] };
  const leaseSec = leaseSecOf(live, input);
  if (!isLeaseExpired(input.seen[live.id], leaseSec, input.nowMs)) return undefined;
  return { oid: live.lock.oid, attempt: lock?.attempt ?? 1, worker: lock?.worker ?? 'an unknown worker' };
}

/** The claim order, the one every host uses: highest priority first, then oldest, then id. */
export function claimOrder(a: Pick<JobDescriptor, 'priority' | 'createdAt' | 'id'>, b: Pick<JobDescriptor, 'priority' | 'createdAt' | 'id'>): number {
  return b.priority - a.priority || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/** Claimable jobs in claim order: every worker sees the same order. */
export function orderForClaim(claimable: Claimable[]): Claimable[] {
  return [...claimable].sort((a, b) => claimOrder(a.job, b.job));
}

import { clockSkewMs } from './authorisation.ts';
import type { CancelRecord } from './cancel.ts';
import type { Decoded } from './codec.ts';
import type { JobDescriptor } from './job.ts';
import type { LockRecord } from './lock.ts';
import { shortOid } from './messages.ts';
import type { ResultRecord } from './result.ts';

/**
 * The lock chain of one job, checked after the fact from the commits alone
 * (docs/protocol.md, sections 2.2, 4 and 5; `refci audit`). The rules are the
 * repository hook's (authorisation.ts), judged on the commits instead of at
 * push time: a takeover, or a result by another host than the holder, is in
 * order only once the holder's lease was over by the commit times (the
 * taker's clock against the holder's), or the holder released the job. An
 * observer takes over only after it saw the same tip unchanged for the lease
 * on its own clock, and it sees a tip only after it was written, so on one
 * clock the taker's commit time is at least the tip's plus the lease; hosts
 * of a fleet are allowed the hook's clock skew.
 */

/** The record a commit's tree holds, decoded. */
export type AuditRecord =
  | { kind: 'job'; value: Decoded<JobDescriptor> }
  | { kind: 'lock'; value: Decoded<LockRecord> }
  | { kind: 'result'; value: Decoded<ResultRecord> }
  | { kind: 'cancel'; value: Decoded<CancelRecord> };

/** One commit of the coordination repository, as the audit reads it. */
export interface AuditCommit {
  oid: string;
  parents: string[];
  /** Committer time, seconds since the epoch, on the writer's clock. */
  committedSec: number;
  /** The author's name: refci writes `refci <role> <id>` (actor.ts). */
  author: string;
  /** Undefined for a commit that holds no record (the history's own commits). */
  record?: AuditRecord;
}

export const AUDIT_RULES = [
  /** A job is archived at most once on refs/ci/history. */
  'archived-once',
  /** Every enqueued job is archived (or still live). */
  'archived',
  /** A lock chain is claim, then heartbeats, takeovers and releases in order, then at most one result. */
  'lock-chain',
  /** A takeover only after the lease expired or the holder released the job. */
  'takeover-after-expiry',
  /** Only the lock holder publishes a result; a sweep closes a job only as the protocol lets it. */
  'result-by-holder',
  /** Nothing is published for a job once it was archived. */
  'result-after-archive',
  /** After the fleet stopped and drained, no live ref is left. */
  'no-live-refs',
  /** `git fsck` finds nothing wrong. */
  'fsck',
] as const;
export type AuditRule = (typeof AUDIT_RULES)[number];

export interface Violation {
  /** The job the violation is about; undefined for the repository as a whole (fsck). */
  job?: string;
  rule: AuditRule;
  detail: string;
}

/** What the chain rules need besides the commits. */
export interface ChainContext {
  /** The lease of a lock whose record cannot be read (the configuration's leaseSec). */
  leaseSec: number;
  /** A job never claimed may be closed with an error this long after its createdAt. */
  queueTimeoutSec: number;
  /** Clock skew allowed between two hosts' commit times, in seconds; undefined: the hook's (30 s, or a quarter of a shorter lease). */
  skewSec?: number;
}

/** Counts of what a chain holds, for the audit's figures. */
export interface ChainFigures {
  claims: number;
  heartbeats: number;
  takeovers: number;
  takeoversAfterRelease: number;
  releases: number;
  holderResults: number;
  closingResults: number;
}

export function emptyChainFigures(): ChainFigures {
  return { claims: 0, heartbeats: 0, takeovers: 0, takeoversAfterRelease: 0, releases: 0, holderResults: 0, closingResults: 0 };
}

export interface ChainInput {
  id: string;
  /** The job's lock and result commits, oldest first: the first one's parent is `job`. */
  chain: AuditCommit[];
  /** The job commit the chain starts from. */
  job: AuditCommit;
  /** The job had a cancel request (a cancelled result needs one). */
  cancelled: boolean;
}

/** Who held the lock after a lock commit: the state the next commit is judged against. */
interface Holder {
  oid: string;
  committedSec: number;
  leaseSec: number;
  event?: LockRecord['event'];
  worker?: string;
  attempt: number;
  /** The record could not be read (already reported): later commits are not compared with it. */
  unreadable: boolean;
}

/** Checks one job's lock chain; every problem is a violation naming the job and the rule. */
export function checkChain(input: ChainInput, context: ChainContext, figures: ChainFigures = emptyChainFigures()): Violation[] {
  const { id } = input;
  const violations: Violation[] = [];
  const say = (rule: AuditRule, detail: string) => violations.push({ job: id, rule, detail });
  const jobRecord = input.job.record?.kind === 'job' ? input.job.record.value : undefined;
  let holder: Holder | undefined;
  let finished: AuditCommit | undefined;
  input.chain.forEach((commit, index) => {
    const at = shortOid(commit.oid);
    if (finished) say('lock-chain', `${at} comes after the result ${shortOid(finished.oid)}; a finished job's lock does not move`);
    if (commit.parents.length !== 1) say('lock-chain', `${at} has ${commit.parents.length} parents; a lock or result commit has one, the commit before it`);
    if (commit.record?.kind === 'result') {
      finished = commit;
      checkResult(commit, commit.record.value, holder, { id, jobRecord, cancelled: input.cancelled, jobCommit: input.job, say, context, figures });
      return;
    }
    if (commit.record?.kind !== 'lock') return;
    const decoded = commit.record.value;
    if (!decoded.ok) {
      say('lock-chain', `${at}: ${decoded.reason}`);
      holder = { oid: commit.oid, committedSec: commit.committedSec, leaseSec: context.leaseSec, attempt: 1, unreadable: true };
      return;
    }
    const lock = decoded.value;
    const what = `${lock.event} ${at} by ${lock.worker} (attempt ${lock.attempt})`;
    if (lock.job !== id) say('lock-chain', `${what} names job ${lock.job}`);
    if (commit.author !== `refci worker ${lock.worker}`) say('lock-chain', `${what} was written by "${commit.author}", not by worker ${lock.worker}`);
    const next: Holder = { oid: commit.oid, committedSec: commit.committedSec, leaseSec: lock.leaseSec, event: lock.event, worker: lock.worker, attempt: lock.attempt, unreadable: false };
    if (lock.event === 'claim') {
      figures.claims += 1;
      if (index !== 0) say('lock-chain', `${what} follows ${describe(holder)}; only the first lock commit is a claim, later attempts are takeovers`);
      else if (lock.attempt !== 1) say('lock-chain', `${what}: a claim is attempt 1`);
      holder = next;
      return;
    }
    if (!holder) {
      say('lock-chain', `the chain starts with a ${what}, not with a claim`);
      holder = next;
      return;
    }
    if (lock.event === 'takeover') {
      figures.takeovers += 1;
      if (holder.event === 'release') figures.takeoversAfterRelease += 1;
      if (!holder.unreadable && lock.previousWorker !== undefined && lock.previousWorker !== holder.worker) {
        say('lock-chain', `${what} says it takes over from ${lock.previousWorker}, but the lock was ${describe(holder)}`);
      }
      if (lock.attempt !== holder.attempt + 1) say('lock-chain', `${what} follows attempt ${holder.attempt}; a takeover is the next attempt, ${holder.attempt + 1}`);
      const early = leaseLeft(holder, commit, context);
      if (early) say('takeover-after-expiry', `${what} came ${early.elapsed}s after ${lastCommit(holder)}, within its ${early.leaseSec}s lease (${early.skewSec}s of clock skew allowed)`);
      holder = next;
      return;
    }
    // heartbeat, release: the holder renews or hands back its own attempt.
    if (lock.event === 'heartbeat') figures.heartbeats += 1;
    else figures.releases += 1;
    if (!holder.unreadable) {
      if (holder.event === 'release') say('lock-chain', `${what} follows ${describe(holder)}; after a release only a takeover or a closing result moves the lock`);
      else if (holder.worker !== lock.worker || holder.attempt !== lock.attempt) say('lock-chain', `${what}, but the lock was ${describe(holder)}; only the holder renews or releases it`);
    }
    holder = next;
  });
  return violations;
}

interface ResultCheck {
  id: string;
  jobRecord?: Decoded<JobDescriptor>;
  jobCommit: AuditCommit;
  cancelled: boolean;
  say: (rule: AuditRule, detail: string) => void;
  context: ChainContext;
  figures: ChainFigures;
}

/**
 * A result is the holder's (the lock commit it extends names the same worker
 * and attempt, and is no release), or a sweep's closing result: `error`, or
 * `cancelled` for a job with a cancel request, once the holder's lease was
 * over or the job was released, or for a malformed job; on a job nobody
 * locked, `error` for a malformed job or one queued past queueTimeoutSec.
 */
function checkResult(commit: AuditCommit, decoded: Decoded<ResultRecord>, holder: Holder | undefined, check: ResultCheck): void {
  const { say, figures } = check;
  const at = shortOid(commit.oid);
  if (!decoded.ok) {
    say('result-by-holder', `result ${at} cannot be read (${decoded.reason}), so who published it cannot be told`);
    return;
  }
  const result = decoded.value;
  const what = `${result.status} result ${at} by ${result.worker} (attempt ${result.attempt})`;
  if (result.job !== check.id) say('lock-chain', `${what} names job ${result.job}`);
  if (commit.author !== `refci worker ${result.worker}`) say('result-by-holder', `${what} was written by "${commit.author}", not by ${result.worker}`);
  const holds = holder && !holder.unreadable && holder.event !== 'release' && holder.worker === result.worker && holder.attempt === result.attempt;
  if (holds) {
    figures.holderResults += 1;
    return;
  }
  figures.closingResults += 1;
  const malformed = check.jobRecord !== undefined && !check.jobRecord.ok;
  if (result.status !== 'error' && result.status !== 'cancelled') {
    say('result-by-holder', `${what}, but the lock was ${describe(holder)}; only the holder publishes a ${result.status} result`);
    return;
  }
  if (result.status === 'cancelled' && !check.cancelled) say('result-by-holder', `${what}, but the job has no cancel request`);
  if (malformed) return;
  if (!holder) {
    if (result.status !== 'error') return;
    const job = check.jobRecord?.ok ? check.jobRecord.value : undefined;
    const createdSec = job ? Date.parse(job.createdAt) / 1000 : Number.NaN;
    const skewSec = check.context.skewSec ?? clockSkewMs(check.context.leaseSec) / 1000;
    const waited = Math.floor(commit.committedSec - createdSec);
    if (!(waited >= check.context.queueTimeoutSec - skewSec)) {
      say('result-by-holder', `${what} on a job nobody had claimed, ${Number.isNaN(waited) ? 'an unknown time' : `${waited}s`} after it was enqueued (queueTimeoutSec ${check.context.queueTimeoutSec})`);
    }
    return;
  }
  if (holder.event === 'release') return;
  const early = leaseLeft(holder, commit, check.context);
  if (early) say('result-by-holder', `${what} came ${early.elapsed}s after ${lastCommit(holder)}, within its ${early.leaseSec}s lease (${early.skewSec}s of clock skew allowed); only the holder publishes before it is over`);
}

/** How far within the holder's lease `commit` was written, or undefined when the lease was over (or released). */
function leaseLeft(holder: Holder, commit: AuditCommit, context: ChainContext): { elapsed: number; leaseSec: number; skewSec: number } | undefined {
  if (holder.event === 'release') return undefined;
  const skewSec = context.skewSec ?? clockSkewMs(holder.leaseSec) / 1000;
  const elapsed = commit.committedSec - holder.committedSec;
  return elapsed >= holder.leaseSec - skewSec ? undefined : { elapsed, leaseSec: holder.leaseSec, skewSec };
}

/** The holder's last lock commit, for "came 3s after ...". */
function lastCommit(holder: Holder): string {
  return `the ${holder.event} ${shortOid(holder.oid)} of ${holder.worker} (attempt ${holder.attempt})`;
}

function describe(holder: Holder | undefined): string {
  if (!holder) return 'not held by anybody (no claim)';
  if (holder.unreadable) return `at the unreadable lock commit ${shortOid(holder.oid)}`;
  const how = holder.event === 'release' ? 'released by' : 'held by';
  return `${how} ${holder.worker} (attempt ${holder.attempt}, ${holder.event} ${shortOid(holder.oid)})`;
}

import { MAX_RECORD_BYTES, type Decoded } from './codec.ts';
import { isValidJobId, isValidName } from './ids.ts';
import { JOB, type JobDescriptor } from './job.ts';
import { LOCK, type LockRecord } from './lock.ts';
import { PRESENCE } from './presence.ts';
import { decodeAs, type RecordKind } from './record-kind.ts';
import { MAX_RESULT_FILES, treeProblem, type ArtifactCaps, type TreeFile, type TreeShape } from './record-limits.ts';
import { CONFIG_REF, HISTORY_REF, cancelRef, jobRef, lockRef, resultRef } from './refs.ts';
import { RESULT, type ResultRecord } from './result.ts';
import { describePusher, type Pusher } from './pusher.ts';
import { DRAIN } from './drain.ts';

/**
 * Who may push what to the coordination repository (docs/protocol.md,
 * Authorisation). The repository's pre-receive hook asks this function about
 * every ref of a push and refuses the whole push if any ref is refused. It
 * reads commits only through `AuthReader`, so it runs the same over git (the
 * hook) and over records made up in a test.
 *
 * Workers are held to what the protocol lets a worker do: claim a job in its
 * own name, move only a lock it holds (or one whose lease is over), publish
 * only its own results, write only its own presence and doctor refs. The main
 * host and operators write the rest; only operators named in the
 * configuration's `admins` change the configuration branch.
 */

export interface RefUpdateLine {
  ref: string;
  /** The ref's value before the push; null when the push creates it. */
  oldOid: string | null;
  /** The value pushed; null for a deletion. */
  newOid: string | null;
}

export interface CommitFacts {
  parents: string[];
  /** Committer time, seconds since the epoch, as the pusher's clock wrote it. */
  committedSec: number;
}

export type FileRead = { kind: 'ok'; content: Buffer } | { kind: 'missing' } | { kind: 'too-large'; size: number };

/** What the rules read of the repository: pushed objects (still in git's quarantine) and the refs as they were before the push. */
export interface AuthReader {
  /** `commit`, `tree`, `blob`, `tag`, or `missing`. */
  type(oid: string): Promise<string>;
  commit(oid: string): Promise<CommitFacts>;
  /** The commit's tree, listed recursively; at most `max` entries (more exist when exactly `max` come back). */
  files(oid: string, max: number): Promise<TreeFile[]>;
  read(oid: string, path: string, maxBytes: number): Promise<FileRead>;
  /** The ref's tip before this push. */
  tip(ref: string): Promise<string | undefined>;
  /** Why the configuration in this commit fails `refci config check`, or undefined when it passes. */
  configProblem(oid: string): Promise<string | undefined>;
}

/** What the rules take from the configuration the repository holds before the push. */
export interface AuthPolicy extends ArtifactCaps {
  /** Operators who may change the configuration branch; empty: every operator. */
  admins: readonly string[];
  /** The lease of a lock whose record cannot be read. */
  leaseSec: number;
  /** A job queued this long after its `createdAt` may be closed by any worker's sweep. */
  queueTimeoutSec: number;
  /**
   * Whether the configuration's `workers` rules let this worker run jobs of
   * this pipeline; absent: every worker runs every pipeline.
   */
  mayRun?: (worker: string, pipeline: string) => boolean;
}

export interface AuthRequest {
  pusher: Pusher;
  updates: readonly RefUpdateLine[];
  policy: AuthPolicy;
  /** The repository host's clock. */
  nowMs: number;
}

export interface RefDecision {
  ref: string;
  allowed: boolean;
  /** One line: what the ref's update is, or why it is refused. */
  reason: string;
}

export type RefTarget =
  | { kind: 'jobs' | 'locks' | 'results' | 'cancel'; id: string }
  | { kind: 'workers' | 'drain' | 'doctor'; name: string }
  | { kind: 'history' }
  | { kind: 'config' };

/** What a rule added with `extraRules` sees of one ref that the built-in rules allow. */
export interface RefContext {
  request: AuthRequest;
  update: RefUpdateLine;
  target: RefTarget;
  reader: AuthReader;
}

/**
 * A further rule for refs the built-in rules allow (for example, that a lock
 * or result commit carries a signature of its worker's key): the reason to
 * refuse, or undefined.
 */
export type ExtraRule = (context: RefContext) => Promise<string | undefined>;

/** Largest difference allowed between the pusher's clock and the repository's. */
export const MAX_CLOCK_SKEW_SEC = 30;

/** Clock skew allowed for a lease: 30 s, or a quarter of a shorter lease, so a short lease still means something. */
export function clockSkewMs(leaseSec: number): number {
  return Math.min(MAX_CLOCK_SKEW_SEC * 1000, (leaseSec * 1000) / 4);
}

/** Which ref of the protocol this is, or why it is none. */
export function refTarget(ref: string): RefTarget | { problem: string } {
  if (ref === CONFIG_REF) return { kind: 'config' };
  if (ref === HISTORY_REF) return { kind: 'history' };
  const live = /^refs\/ci\/(jobs|locks|results|cancel)\/(.*)$/.exec(ref);
  if (live) {
    if (!isValidJobId(live[2]!)) return { problem: `the id ${JSON.stringify(live[2])} does not match [A-Za-z0-9][A-Za-z0-9_-]{0,63}` };
    return { kind: live[1] as 'jobs', id: live[2]! };
  }
  const named = /^refs\/ci\/(workers|drain|doctor)\/(.*)$/.exec(ref);
  if (named) {
    if (!isValidName(named[2]!)) return { problem: `the name ${JSON.stringify(named[2])} is not a simple name (letters, digits, dot, dash, underscore; at most 64)` };
    return { kind: named[1] as 'workers', name: named[2]! };
  }
  return { problem: 'it is not a ref of the coordination repository (docs/protocol.md, section 1 lists them)' };
}

type Outcome = { allowed: boolean; reason: string };
const allow = (reason: string): Outcome => ({ allowed: true, reason });
const refuse = (reason: string): Outcome => ({ allowed: false, reason });

/** What the tip of a lock ref holds. */
type LockTip =
  | { kind: 'lock'; record: LockRecord; facts: CommitFacts }
  | { kind: 'result'; facts: CommitFacts }
  | { kind: 'unreadable'; reason: string; facts: CommitFacts };

/** Decides every ref of one push; the push goes through only if every decision allows. */
export async function authorise(request: AuthRequest, reader: AuthReader, extraRules: readonly ExtraRule[] = []): Promise<RefDecision[]> {
  const rules = new Rules(request, reader, extraRules);
  const decisions: RefDecision[] = [];
  for (const update of request.updates) decisions.push({ ref: update.ref, ...(await rules.decide(update)) });
  return decisions;
}

class Rules {
  private readonly decided = new Map<string, Promise<Outcome>>();
  private readonly records = new Map<string, Promise<Decoded<unknown>>>();
  private readonly filesOf = new Map<string, Promise<TreeFile[]>>();

  constructor(
    private readonly request: AuthRequest,
    private readonly reader: AuthReader,
    private readonly extraRules: readonly ExtraRule[],
  ) {}

  private get pusher(): Pusher {
    return this.request.pusher;
  }

  /** One decision per ref, remembered: a result's decision is its lock's. */
  decide(update: RefUpdateLine): Promise<Outcome> {
    let outcome = this.decided.get(update.ref);
    if (!outcome) {
      outcome = this.decideOnce(update);
      this.decided.set(update.ref, outcome);
    }
    return outcome;
  }

  private async decideOnce(update: RefUpdateLine): Promise<Outcome> {
    const target = refTarget(update.ref);
    if ('problem' in target) return refuse(target.problem);
    const shape = await this.shapeProblem(update, target);
    if (shape) return refuse(shape);
    const outcome = await this.byRole(update, target);
    if (!outcome.allowed) return outcome;
    for (const rule of this.extraRules) {
      const why = await rule({ request: this.request, update, target, reader: this.reader });
      if (why) return refuse(why);
    }
    return outcome;
  }

  /** What any pusher's commit must be: a commit, within the limits of its kind. */
  private async shapeProblem(update: RefUpdateLine, target: RefTarget): Promise<string | undefined> {
    if (update.newOid === null) {
      if (target.kind === 'config') return 'the configuration branch is never deleted';
      if (target.kind === 'history') return 'the history is never deleted';
      return undefined;
    }
    const type = await this.reader.type(update.newOid);
    if (type === 'missing') return `the pushed object ${update.newOid} is missing`;
    if (type !== 'commit') return `it points at a ${type}, not a commit`;
    // The history's tree holds every archived job: its size is not a record's.
    if (target.kind === 'history') return undefined;
    const files = await this.files(update.newOid);
    const result = (target.kind === 'locks' || target.kind === 'results') && files.some((f) => f.path === RESULT.file);
    const shape: TreeShape = target.kind === 'config' ? 'config' : result ? 'result' : target.kind === 'locks' ? 'lock' : 'record';
    return treeProblem(shape, files, this.request.policy);
  }

  private byRole(update: RefUpdateLine, target: RefTarget): Promise<Outcome> | Outcome {
    if (target.kind === 'config') return this.configRule(update);
    if (this.pusher.role !== 'worker') return allow(`${describePusher(this.pusher)} writes ${update.ref}`);
    switch (target.kind) {
      case 'locks':
        return this.lockRule(update, target.id);
      case 'results':
        return this.resultRule(update, target.id);
      case 'workers':
        return this.presenceRule(update, target.name);
      case 'doctor':
        return target.name === this.pusher.name
          ? allow(`worker ${this.pusher.name} writes its doctor's scratch ref`)
          : refuse(`worker ${this.pusher.name} writes only refs/ci/doctor/${this.pusher.name}`);
      case 'jobs':
      case 'cancel':
        return refuse(`workers do not write refs/ci/${target.kind}/ (the main host and operators do)`);
      case 'drain':
        return this.drainRule(update, target.name);
      case 'history':
        return refuse('workers do not write the history (the collector on the main host does)');
    }
  }

  private async configRule(update: RefUpdateLine): Promise<Outcome> {
    const { admins } = this.request.policy;
    if (this.pusher.role !== 'operator') {
      return refuse(`only operators${admins.length ? ` named in the configuration's admins (${admins.join(', ')})` : ''} change ${CONFIG_REF}, not ${describePusher(this.pusher)}`);
    }
    if (admins.length > 0 && !admins.includes(this.pusher.name)) {
      return refuse(`operator ${this.pusher.name} is not in the configuration's admins (${admins.join(', ')})`);
    }
    const problem = await this.reader.configProblem(update.newOid!);
    if (problem) return refuse(`the configuration is refused: ${problem}`);
    return allow(`operator ${this.pusher.name} changes the configuration`);
  }

  // --- a worker's refs -----------------------------------------------------

  private async presenceRule(update: RefUpdateLine, name: string): Promise<Outcome> {
    const me = this.pusher.name;
    if (name !== me) return refuse(`worker ${me} writes only refs/ci/workers/${me}`);
    if (update.newOid === null) return allow(`worker ${me} starts its presence chain again`);
    const record = await this.record(update.newOid, PRESENCE);
    if (!record.ok) return refuse(record.reason);
    if (record.value.worker !== me) return refuse(`worker.json names worker ${record.value.worker}; worker ${me} announces only itself`);
    const facts = await this.reader.commit(update.newOid);
    const parents = update.oldOid ? [update.oldOid] : [];
    if (!sameList(facts.parents, parents)) {
      return refuse(update.oldOid ? `a presence commit's parent is the previous one, ${short(update.oldOid)}` : 'a new presence chain starts with a root commit');
    }
    return allow(`worker ${me} announces its presence`);
  }

  /** A worker drains itself (quarantine, docs/protocol.md 2.8) and nobody else; undraining is an operator's. */
  private async drainRule(update: RefUpdateLine, name: string): Promise<Outcome> {
    const me = this.pusher.name;
    if (name !== me) return refuse(`workers do not write another worker's drain flag (operators and the main host do); worker ${me} may only drain itself`);
    if (update.newOid === null || update.oldOid !== null) return refuse(`a worker only creates its own drain flag (quarantine); an operator undrains it`);
    const record = await this.record(update.newOid, DRAIN);
    if (!record.ok) return refuse(record.reason);
    if (record.value.worker !== me) return refuse(`drain.json names worker ${record.value.worker}; worker ${me} drains only itself`);
    return allow(`worker ${me} drains itself: ${record.value.reason}`);
  }

  private async resultRule(update: RefUpdateLine, id: string): Promise<Outcome> {
    if (update.newOid === null) return refuse('results are deleted only by archiving, on the main host');
    if (update.oldOid !== null) return refuse(`a result is written once: ${update.ref} exists already`);
    if (!(await this.files(update.newOid)).some((f) => f.path === RESULT.file)) return refuse(`the commit holds no ${RESULT.file}`);
    const lock = this.request.updates.find((u) => u.ref === lockRef(id));
    if (!lock || lock.newOid !== update.newOid) {
      return refuse(`a result is published with ${lockRef(id)} moved to the same commit, in one atomic push (docs/protocol.md, section 4)`);
    }
    // The lock's move decides: whoever may move the lock to this result may publish it.
    return this.decide(lock);
  }

  private async lockRule(update: RefUpdateLine, id: string): Promise<Outcome> {
    const me = this.pusher.name;
    if (update.newOid === null) {
      const tip = update.oldOid ? await this.lockTip(update.oldOid) : undefined;
      // A released lock stays: deleting it would lose the attempt count (docs/protocol.md, section 5.1).
      if (tip?.kind === 'lock' && tip.record.worker === me && tip.record.job === id && tip.record.event !== 'release') return allow(`worker ${me} gives its lock on ${id} back`);
      return refuse(`a worker deletes only a lock it holds (${tip ? describeTip(tip) : 'there is none'})`);
    }
    if ((await this.files(update.newOid)).some((f) => f.path === RESULT.file)) return this.closeRule(update, id);
    const decoded = await this.record(update.newOid, LOCK);
    if (!decoded.ok) return refuse(decoded.reason);
    const lock = decoded.value;
    if (lock.job !== id) return refuse(`lock.json names job ${lock.job}, not ${id}`);
    if (lock.worker !== me) return refuse(`lock.json names worker ${lock.worker}; worker ${me} locks only in its own name`);
    const facts = await this.reader.commit(update.newOid);
    const ahead = this.aheadProblem(facts, lock.leaseSec);
    if (ahead) return refuse(ahead);
    if (lock.event === 'claim') return this.claimRule(update, lock, facts, id);
    if (update.oldOid === null) return refuse(`a ${lock.event} moves an existing lock, and ${update.ref} does not exist`);
    if (!sameList(facts.parents, [update.oldOid])) return refuse(`a ${lock.event} commit's parent is the lock tip, ${short(update.oldOid)}`);
    const previous = await this.lockTip(update.oldOid);
    if (lock.event === 'takeover') return this.takeoverRule(lock, previous, id);
    // heartbeat, release: only the holder, in the same attempt.
    if (previous.kind !== 'lock' || previous.record.worker !== me || previous.record.event === 'release') {
      return refuse(`only the holder renews or releases a lock, and it is ${describeTip(previous)}`);
    }
    if (lock.attempt !== previous.record.attempt) return refuse(`a ${lock.event} keeps the attempt, ${previous.record.attempt}, not ${lock.attempt}`);
    return allow(`worker ${me} ${lock.event === 'heartbeat' ? 'renews' : 'hands back'} its lock on ${id}`);
  }

  private async claimRule(update: RefUpdateLine, lock: LockRecord, facts: CommitFacts, id: string): Promise<Outcome> {
    if (update.oldOid !== null) return refuse(`a claim creates the lock, and ${update.ref} exists (${describeTip(await this.lockTip(update.oldOid))})`);
    if (lock.attempt !== 1) return refuse(`a claim is attempt 1, not ${lock.attempt}; a later attempt is a takeover`);
    const jobTip = await this.reader.tip(jobRef(id));
    const parent = facts.parents.length === 1 ? facts.parents[0]! : undefined;
    // Archiving deletes the job ref; a claim that raced it still names the job's commit (the worker then gives it back).
    const ok = parent !== undefined && (jobTip ? parent === jobTip : await this.namesJob(parent, id));
    if (!ok) return refuse(`a claim's parent is the job commit${jobTip ? ` ${short(jobTip)}` : ''} of ${jobRef(id)}`);
    const notAllowed = await this.pipelineProblem(lock.worker, jobTip ?? parent!);
    if (notAllowed) return refuse(notAllowed);
    return allow(`worker ${lock.worker} claims ${id}`);
  }

  /**
   * A worker claims or takes over only jobs of pipelines the configuration's
   * `workers` rules give it: a key of a host trusted with one pipeline does
   * not publish verdicts of another. A job whose record cannot be read has no
   * pipeline to judge by; it is only ever set aside.
   */
  private async pipelineProblem(worker: string, jobOid: string): Promise<string | undefined> {
    const { mayRun } = this.request.policy;
    if (!mayRun) return undefined;
    const job = await this.record<JobDescriptor>(jobOid, JOB);
    if (!job.ok || mayRun(worker, job.value.pipeline)) return undefined;
    return `the configuration's workers rules do not let worker ${worker} run pipeline ${job.value.pipeline}`;
  }

  private async takeoverRule(lock: LockRecord, previous: LockTip, id: string): Promise<Outcome> {
    if (previous.kind === 'result') return refuse(`${id} is finished: its lock is at the result commit`);
    const lease = this.leaseOf(previous);
    if (!lease.over) return refuse(`the lease of ${holderOf(previous)} on ${id} runs until ${new Date(lease.untilMs).toISOString()} (its commit time plus ${lease.leaseSec}s, less ${lease.skewMs / 1000}s of clock skew)`);
    const attempt = (previous.kind === 'lock' ? previous.record.attempt : 1) + 1;
    if (lock.attempt !== attempt) return refuse(`a takeover is attempt ${attempt}, not ${lock.attempt}`);
    const jobTip = await this.reader.tip(jobRef(id));
    const notAllowed = jobTip ? await this.pipelineProblem(lock.worker, jobTip) : undefined;
    if (notAllowed) return refuse(notAllowed);
    return allow(`worker ${lock.worker} takes ${id} over from ${holderOf(previous)} (${lease.why})`);
  }

  /**
   * A result moves the lock to its commit: the holder's own result, or a
   * sweep's closing result (`error`, or `cancelled` on a cancel request) for a
   * lock whose lease is over or was released, for a malformed job, or for a
   * job never locked and queued past `queueTimeoutSec`.
   */
  private async closeRule(update: RefUpdateLine, id: string): Promise<Outcome> {
    const me = this.pusher.name;
    const resultUpdate = this.request.updates.find((u) => u.ref === resultRef(id));
    if (!resultUpdate || resultUpdate.newOid !== update.newOid || resultUpdate.oldOid !== null) {
      return refuse(`a lock moves to a result only with ${resultRef(id)} created at the same commit, in one atomic push`);
    }
    const decoded = await this.record(update.newOid!, RESULT);
    if (!decoded.ok) return refuse(decoded.reason);
    const result = decoded.value;
    if (result.job !== id) return refuse(`result.json names job ${result.job}, not ${id}`);
    if (result.worker !== me) return refuse(`result.json names worker ${result.worker}; worker ${me} publishes only its own results`);
    const facts = await this.reader.commit(update.newOid!);
    const ahead = this.aheadProblem(facts, this.request.policy.leaseSec);
    if (ahead) return refuse(ahead);
    const parent = facts.parents.length === 1 ? facts.parents[0]! : undefined;
    const closing = result.status === 'error' || result.status === 'cancelled';
    if (update.oldOid === null) return this.closeUnlocked(result, parent, id);
    if (parent !== update.oldOid) return refuse(`a result's parent is the lock tip, ${short(update.oldOid)}`);
    const previous = await this.lockTip(update.oldOid);
    if (previous.kind === 'result') return refuse(`${id} is finished already`);
    if (previous.kind === 'lock' && previous.record.worker === me && previous.record.event !== 'release') {
      if (result.attempt === previous.record.attempt) return allow(`worker ${me} publishes its result for ${id}`);
      if (!closing) return refuse(`result.json says attempt ${result.attempt}; the lock is on attempt ${previous.record.attempt}`);
    }
    if (!closing) return refuse(`the lock on ${id} is ${describeTip(previous)}; only the holder publishes a ${result.status} result`);
    if (result.status === 'cancelled' && !(await this.reader.tip(cancelRef(id)))) return refuse(`${id} has no cancel request, so it is not closed as cancelled`);
    const lease = this.leaseOf(previous);
    if (lease.over) return allow(`worker ${me} closes ${id} (${lease.why})`);
    if (await this.jobMalformed(id)) return allow(`worker ${me} sets aside malformed job ${id}, with the lock on it`);
    return refuse(`the lock on ${id} is ${describeTip(previous)} until ${new Date(lease.untilMs).toISOString()}; only its holder publishes before then`);
  }

  private async closeUnlocked(result: ResultRecord, parent: string | undefined, id: string): Promise<Outcome> {
    const me = this.pusher.name;
    const jobTip = await this.reader.tip(jobRef(id));
    if (!jobTip) return refuse(`there is no job ${id} to close`);
    if (parent !== jobTip) return refuse(`a result for a job without a lock has the job commit ${short(jobTip)} as its parent`);
    if (result.status !== 'error') return refuse(`${id} is not locked: a worker closes it only with an error (malformed, or queued too long), not ${result.status}`);
    const job = await this.record(jobTip, JOB);
    if (!job.ok) return allow(`worker ${me} sets aside malformed job ${id}`);
    const dueMs = Date.parse(job.value.createdAt) + this.request.policy.queueTimeoutSec * 1000;
    if (this.request.nowMs >= dueMs) return allow(`worker ${me} gives up ${id}, queued past queueTimeoutSec`);
    return refuse(`${id} is queued, not locked, until ${new Date(dueMs).toISOString()} (queueTimeoutSec); a worker claims it before publishing a result`);
  }

  // --- reading -------------------------------------------------------------

  /** A lock or result commit written more than the allowed skew ahead of this host's clock would make its lease look longer than it is. */
  private aheadProblem(facts: CommitFacts, leaseSec: number): string | undefined {
    const skewMs = clockSkewMs(leaseSec);
    const aheadMs = facts.committedSec * 1000 - this.request.nowMs;
    if (aheadMs <= skewMs) return undefined;
    return `its commit time is ${Math.round(aheadMs / 1000)}s ahead of the coordination host's clock (at most ${skewMs / 1000}s allowed); set the pushing host's clock (NTP)`;
  }

  /**
   * Whether a lock tip's lease is over, judged from its commit time (the
   * holder's clock) and its leaseSec, with some clock skew allowed. A released
   * lock is free at once.
   */
  private leaseOf(tip: LockTip): { over: boolean; untilMs: number; leaseSec: number; skewMs: number; why: string } {
    if (tip.kind === 'lock' && tip.record.event === 'release') return { over: true, untilMs: 0, leaseSec: tip.record.leaseSec, skewMs: 0, why: `${tip.record.worker} released it` };
    const leaseSec = tip.kind === 'lock' ? tip.record.leaseSec : this.request.policy.leaseSec;
    const skewMs = clockSkewMs(leaseSec);
    const untilMs = tip.facts.committedSec * 1000 + leaseSec * 1000 - skewMs;
    return { over: this.request.nowMs >= untilMs, untilMs, leaseSec, skewMs, why: `the lease of ${holderOf(tip)} expired` };
  }

  private async lockTip(oid: string): Promise<LockTip> {
    const facts = await this.reader.commit(oid);
    const result = await this.reader.read(oid, RESULT.file, 0);
    if (result.kind !== 'missing') return { kind: 'result', facts };
    const lock = await this.record(oid, LOCK);
    return lock.ok ? { kind: 'lock', record: lock.value, facts } : { kind: 'unreadable', reason: lock.reason, facts };
  }

  private async jobMalformed(id: string): Promise<boolean> {
    const tip = await this.reader.tip(jobRef(id));
    return tip !== undefined && !(await this.record(tip, JOB)).ok;
  }

  private async namesJob(oid: string, id: string): Promise<boolean> {
    if ((await this.reader.type(oid)) !== 'commit') return false;
    const job = await this.record<JobDescriptor>(oid, JOB);
    return job.ok && job.value.id === id;
  }

  private files(oid: string): Promise<TreeFile[]> {
    let files = this.filesOf.get(oid);
    if (!files) {
      // One more than any shape allows, so "too many" can be told.
      files = this.reader.files(oid, MAX_RESULT_FILES + 1);
      this.filesOf.set(oid, files);
    }
    return files;
  }

  private record<T>(oid: string, kind: RecordKind<T>): Promise<Decoded<T>> {
    const key = `${oid}:${kind.file}`;
    let record = this.records.get(key);
    if (!record) {
      record = this.reader.read(oid, kind.file, MAX_RECORD_BYTES).then((read): Decoded<T> => {
        if (read.kind === 'missing') return { ok: false, reason: `the commit has no ${kind.file}` };
        if (read.kind === 'too-large') return { ok: false, reason: `${kind.file} is ${read.size} bytes, more than the limit of ${MAX_RECORD_BYTES}` };
        return decodeAs(kind, read.content);
      });
      this.records.set(key, record);
    }
    return record as Promise<Decoded<T>>;
  }
}

function holderOf(tip: LockTip): string {
  return tip.kind === 'lock' ? tip.record.worker : 'an unknown worker';
}

function describeTip(tip: LockTip): string {
  if (tip.kind === 'result') return 'at its result: the job is finished';
  if (tip.kind === 'unreadable') return `unreadable (${tip.reason})`;
  if (tip.record.event === 'release') return `released by ${tip.record.worker}`;
  return `held by ${tip.record.worker} (attempt ${tip.record.attempt})`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

function short(oid: string): string {
  return oid.slice(0, 12);
}

import os from 'node:os';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { ConfigSource, type CurrentConfig } from '../coord/config-source.ts';
import { Presence, PresenceView, type PresenceState } from '../coord/presence.ts';
import { spreadClaims, type ActiveWorker } from '../protocol/spread.ts';
import { declinedRefs, refusedRefs, type PushResult } from '../git/push.ts';
import { jobRef, lockRef, resultRef } from '../protocol/refs.ts';
import { allowedPipelines, hostKindOf } from '../fleet/rules.ts';
import { ToolGate, type GateResult } from '../fleet/tool-gate.ts';
import { signingState } from '../fleet/signing-gate.ts';
import type { SigningKey } from '../git/ssh-signature.ts';
import { CoordClone } from '../coord/clone.ts';
import { readSnapshot } from '../coord/snapshot.ts';
import { stateOf } from '../protocol/snapshot.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import type { JobRunner } from '../protocol/job-run.ts';
import { LiveLogTails } from '../protocol/live-log.ts';
import { heartbeatIntervalMs } from '../protocol/lease.ts';
import { drainRef, liveRefspecs } from '../protocol/refs.ts';
import { drainWorker } from '../coord/drain.ts';
import { clearStreak, noteJobEnd, quarantineReason } from './quarantine.ts';
import { infrastructureReason, type Claimable } from '../protocol/sweep.ts';
import { loadStateFile, saveStateFile } from '../coord/state-file.ts';
import { publishResult } from '../coord/close-job.ts';
import { Lease, type PreparedClaim, type WorkerIdentity } from './lease.ts';
import { sweepLive } from '../coord/sweep.ts';
import { WorkSignal } from '../coord/wait.ts';
import { inPhase } from '../git/observe.ts';
import { unreachableRound } from '../coord/round-failure.ts';
import { lockDeletionFreesJob, lockEventAt } from '../coord/lock-event.ts';

export interface WorkerOptions {
  coord: string;
  workerId: string;
  stateDir: string;
  /**
   * A fixed configuration (a local `--config FILE`). Without it the worker
   * follows the coordination repository's configuration branch, taking each
   * valid new commit as it fetches and keeping the last valid one otherwise.
   */
  config?: FleetConfig;
  clock: Clock;
  /** Take what is free, then return (cron); otherwise poll until `stop` fires. */
  once: boolean;
  log: (line: string) => void;
  /** Also log each claim another worker won first (contention; quiet by default). */
  verbose?: boolean;
  stop?: AbortSignal;
  /** Narrows the pipelines the configuration lets this worker run. */
  pipelines?: string[];
  /** Host kind (picks the tools' update commands); the configuration's `workers` rule, else `default`. */
  hostKind?: string;
  pollMs?: { min: number; max: number };
  /** Runs a claimed job (the run stage's pipeline runner in production). */
  runJob: JobRunner;
  /** The environment tool version and update commands run with; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * This host's own key (--signing-key): every lock and result commit the
   * worker writes is signed with it. Never taken from the coordination
   * repository.
   */
  signingKey?: SigningKey;
}

/** What the worker knows at the start of a round: configuration, what it may and can run, whether it is drained. */
interface WorkerRound {
  current: CurrentConfig;
  /** Pipelines the configuration (narrowed by --pipelines) gives this worker. */
  allowed: string[];
  gate: GateResult;
  kind: string;
  drained: boolean;
}

/**
 * The queue as the worker's last fetch showed it. Claims are made from it
 * without fetching again while it is fresh (FRESH_MS) and holds jobs this
 * worker has not tried; a claim lost from it (another worker was faster)
 * makes the next claim fetch first. Staleness costs no safety: every claim is
 * a create-only or swap push, and checks that the job ref is still there.
 */
interface QueueView {
  fetchedAtMs: number;
  claimable: Claimable[];
  /** Jobs of this view this worker tried (won, lost or failed). */
  tried: Set<string>;
  /** A claim from this view lost a race: the next claim fetches first. */
  lost: boolean;
  /** The other workers that seem active, for spreading claims. */
  active: ActiveWorker[];
  /** Jobs were queued or running at the fetch: the queue moves. */
  inFlight: boolean;
  /** When time alone (a lease running out, a queue timeout) changes what this view offers, on the worker's clock. */
  nextChangeMs?: number;
  /** Jobs were running at the fetch: their leases are watched by looking (heartbeats wake nobody). */
  running: boolean;
  /** Ids of every live job at the fetch: a job ref of one of them landing later is no news. */
  known: Set<string>;
  /** Changes the watcher had seen to the drain flags and the configuration at the fetch (a local repository). */
  controlChanges?: number;
}

/** Waits of an idle worker: from `min`, doubling to `max` (also the longest time between two looks at the queue). */
const DEFAULT_POLL_MS = { min: 250, max: 5000 };
/** The longest wait while jobs are queued or running somewhere: the queue moves (a remote repository is only seen by polling). */
const IN_FLIGHT_POLL_MS = 2000;
/**
 * The longest time between two looks at a watched repository (one on this
 * host) with nothing new: the watcher tells of every ref change, so only time
 * itself needs a look (a lease in the view running out, the presence falling
 * due), and this one in case the watcher missed an event. Polling it every few
 * seconds like a remote one made sixteen idle workers fetch three times a
 * second and starve the collector on the same host.
 */
const WATCHED_LOOK_MS = 60_000;
/** Refs whose changes are news to a worker: jobs, locks (a job handed back), its drain flag, the configuration. */
const WORKER_NEWS = ['refs/ci/jobs/', 'refs/ci/locks/', 'refs/ci/drain/', 'refs/heads/config'];
/** Refs whose changes make a worker's view of the queue stale at once, however fresh. */
const CONTROL_REFS = ['refs/ci/drain/', 'refs/heads/config'];

/** What a worker fetches: the live refs, its drain flag and the others', the presence of the workers (to spread claims), the configuration. */
function workerRefspecs(options: WorkerOptions): string[] {
  return liveRefspecs({ config: !options.config, drain: true, workers: true });
}

/** How long a view of the queue is used for claims without fetching again. */
export const FRESH_MS = 10_000;
/** Fetches after lost claims in one look at the queue; then the worker waits like an idle one. */
const REFETCHES_AFTER_LOSS = 3;

/** One worker process's long-lived parts. */
interface WorkerRun {
  options: WorkerOptions;
  clone: CoordClone;
  source: ConfigSource;
  tools: ToolGate;
  presence: Presence;
  workers: PresenceView;
  host: string;
  round?: WorkerRound;
  view?: QueueView;
  /** The daemon's wait (watcher or polls), when it runs as one. */
  signal?: WorkSignal;
  /** A poll just fetched: the next look at the queue need not fetch again. */
  fetched?: boolean;
  /** Last things logged, so a daemon says each once. */
  said: Map<string, string>;
}

export interface WorkerSummary {
  ran: number;
  published: number;
  lost: number;
  /** Jobs given back to the fleet because this host could not run them (a tool or the sandbox would not start). */
  handedBack: number;
  /** As of the last round: the pipelines this worker serves (configuration and --pipelines) and those it cannot run on this host, each with why. */
  serves: string[];
  blocked: Record<string, string>;
}

/**
 * The worker loop: fetch the live refs, sweep (set aside malformed jobs, give
 * up on jobs out of attempts), claim the first free job by compare-and-swap,
 * run it under a renewed lease, publish the result atomically with the lock.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const clone = await CoordClone.open(path.join(options.stateDir, 'coord.git'), options.coord);
  const run: WorkerRun = {
    options,
    clone,
    source: new ConfigSource(options.stateDir, options.log, options.config),
    tools: new ToolGate(options.stateDir, options.clock, options.log, options.stop, options.env),
    presence: new Presence(clone, options.workerId, options.clock, options.log),
    workers: new PresenceView(clone),
    host: os.hostname(),
    said: new Map(),
  };
  const summary: WorkerSummary = { ran: 0, published: 0, lost: 0, handedBack: 0, serves: [], blocked: {} };
  const poll = options.pollMs ?? DEFAULT_POLL_MS;
  let idleMs = poll.min;
  const work = options.once
    ? undefined
    : await WorkSignal.open(options.coord, {
        wakeOn: WORKER_NEWS,
        news: (ref, event, repoDir) => isNews(run, ref, event, repoDir),
        // A poll of a remote repository is the round's own fetch: the round after a poll that found news does not fetch again.
        poll: async () => (run.fetched = await clone.fetch(workerRefspecs(options))),
      });
  run.signal = work;
  let lastLookMs = -Infinity;
  let changed = true;
  try {
    while (!options.stop?.aborted) {
      // Without news, the queue is looked at when time alone may have changed it: leases expire with time.
      if (changed || options.clock.now() >= nextLookAtMs(run, lastLookMs, poll, work?.watching ?? false)) {
        // Armed before the round: a job enqueued while this one runs wakes the next wait at once.
        work?.arm();
        lastLookMs = options.clock.now();
        try {
          let claimed = await inPhase('claim', () => claimNext(run), (lease) => (lease ? 1 : 0));
          if (claimed) {
            idleMs = poll.min;
            // A job whose claim went out with the previous result runs at once.
            while (claimed) {
              summary.ran += 1;
              const { ended, next } = await runClaimed(claimed, run);
              if (ended === 'published') summary.published += 1;
              else if (ended === 'handed-back') summary.handedBack += 1;
              else summary.lost += 1;
              claimed = next;
            }
            // Nothing left in a recent view: the wait returns at once if anything came meanwhile (the watcher saw it).
            changed = !viewExhausted(run);
            continue;
          }
        } catch (error) {
          // A job whose result could not be pushed is left to its lease: another worker takes it over.
          const why = work ? unreachableRound(error) : undefined;
          if (!why) throw error;
          options.log(`the coordination repository cannot be reached; trying again in ${Math.ceil(Math.min(idleMs, poll.max) / 1000)}s: ${why}`);
          // The next round fetches and looks again after the wait, news or not.
          run.view = undefined;
          lastLookMs = -Infinity;
        }
      }
      // Run once (cron): the queue was looked at and nothing more is claimable now.
      if (!work) break;
      // While jobs are queued or running the queue moves: a remote repository is polled more often; a watched one
      // waits for news or for the next look that time calls for.
      const lookAt = nextLookAtMs(run, lastLookMs, poll, work.watching);
      const cap = work.watching
        ? Math.max(poll.min, Number.isFinite(lookAt) ? lookAt - options.clock.now() : poll.max)
        : run.view?.inFlight
          ? Math.min(IN_FLIGHT_POLL_MS, poll.max)
          : poll.max;
      changed = await work.wait(Math.min(idleMs, cap), options.stop);
      idleMs = changed ? poll.min : Math.min(cap, idleMs * 2);
    }
  } finally {
    await work?.close();
  }
  if (run.round) {
    summary.serves = run.round.allowed;
    summary.blocked = run.round.gate.blocked;
  }
  if (!options.once && run.round) {
    await run.presence.announce({ ...presenceState(run, run.round), state: 'stopped' }, run.round.current.config.presenceSec, true);
  }
  // Announcements made while jobs ran are not awaited there; the process may exit as soon as this returns.
  await run.presence.settled();
  return summary;
}

/**
 * When the worker looks at the queue next without news: `poll.max` after the
 * last look for a polled repository; for a watched one, when a lease of the
 * view may run out, at least once a heartbeat interval while jobs run (a lock
 * is stale once its tip stayed for the lease between two looks, and
 * heartbeats wake nobody: so a dead worker's job is taken over within a third
 * of a lease of its expiry), or at the longest gap (never longer than the
 * presence interval, so the worker's presence stays current).
 */
function nextLookAtMs(run: WorkerRun, lastLookMs: number, poll: { max: number }, watching: boolean): number {
  if (!watching) return lastLookMs + poll.max;
  const config = run.round?.current.config;
  let gapMs = Math.min(WATCHED_LOOK_MS, (config?.presenceSec ?? Infinity) * 1000);
  if (run.view?.running && config) gapMs = Math.min(gapMs, heartbeatIntervalMs(config.leaseSec));
  return Math.min(lastLookMs + gapMs, run.view?.nextChangeMs ?? Infinity);
}

/** Says a line once for each new value of `topic` (a daemon polls often; the log should not). */
function sayOnce(run: WorkerRun, topic: string, value: string, line?: string): void {
  if (run.said.get(topic) === value) return;
  run.said.set(topic, value);
  if (line) run.options.log(line);
}

/**
 * Brings the worker's view up to date before it claims: the configuration
 * (fetched with the live refs), the drain flag, the pipelines the
 * configuration allows it and whose wanted tool versions it has (updating a
 * tool first when it can), and its presence ref.
 */
async function startRound(run: WorkerRun): Promise<WorkerRound> {
  const { options, clone } = run;
  if (!run.fetched) await clone.fetch(workerRefspecs(options));
  run.fetched = false;
  const current = await run.source.refresh(clone);
  const { config } = current;
  const unknown = (options.pipelines ?? []).filter((name) => !config.pipelines[name]);
  sayOnce(run, 'unknown-pipelines', `${current.commit}:${unknown}`, unknown.length ? `--pipelines names ${unknown.join(', ')}, which the configuration does not have` : undefined);
  const allowed = allowedPipelines(config, options.workerId, options.pipelines);
  sayOnce(run, 'allowed', allowed.join(','), allowed.length ? undefined : `the configuration lets worker ${options.workerId} run no pipeline; claiming nothing`);
  const kind = hostKindOf(config, options.workerId, options.hostKind);
  const drained = (await clone.ref(drainRef(options.workerId))) !== undefined;
  sayOnce(
    run,
    'drained',
    String(drained),
    drained
      ? `drained: claiming no more jobs (refci worker undrain ${options.workerId} resumes)`
      : run.said.has('drained')
        ? 'undrained: claiming again'
        : undefined,
  );
  // A drained worker leaves its tools alone: the operator may be working on the host.
  const checked = drained && run.round ? run.round.gate : await run.tools.check(config, allowed, kind);
  const signing = signingState(config, options.workerId, options.signingKey?.publicKey);
  sayOnce(run, 'signing', `${signing.block ?? ''}|${signing.note ?? ''}`, signing.note);
  const gate = withSigning(withHostProblems(checked, loadHostProblems(options.stateDir, options.clock.now()), options.clock.now()), signing.block);
  for (const pipeline of allowed) {
    const why = gate.blocked[pipeline];
    sayOnce(run, `blocked:${pipeline}`, why ?? '', why ? `not claiming pipeline ${pipeline} jobs: ${why}` : run.said.get(`blocked:${pipeline}`) ? `pipeline ${pipeline}: its tools and masters are ready, claiming again` : undefined);
  }
  const round: WorkerRound = { current, allowed, gate, kind, drained };
  run.round = round;
  await run.presence.announce({ ...presenceState(run, round), state: drained ? 'drained' : 'idle' }, config.presenceSec);
  return round;
}

function presenceState(run: WorkerRun, round: WorkerRound): PresenceState {
  return {
    worker: run.options.workerId,
    host: run.host,
    kind: round.kind,
    state: 'idle',
    pipelines: round.gate.runnable,
    blocked: round.gate.blocked,
    tools: round.gate.versions,
    job: null,
    ...(round.current.commit ? { configCommit: round.current.commit } : {}),
  };
}

/**
 * Claims the next job: from the last view of the queue while it is fresh,
 * else after a fetch, a sweep and a new view. Tries the jobs in the order
 * spreadClaims gives this worker; a lost race marks the view stale, so the
 * next try fetches first.
 */
async function claimNext(run: WorkerRun): Promise<Lease | undefined> {
  const { options, clone } = run;
  for (let refetches = 0; refetches <= REFETCHES_AFTER_LOSS; refetches++) {
    if (!freshView(run)) await lookAtQueue(run);
    else await run.presence.announce({ ...presenceState(run, run.round!), state: run.round!.drained ? 'drained' : 'idle' }, run.round!.current.config.presenceSec);
    const round = run.round!;
    const current = run.view!;
    if (round.drained) return undefined;
    const worker = identity(run, round);
    for (const claim of claimOrderFor(run, round, current)) {
      if (options.stop?.aborted) return undefined;
      current.tried.add(claim.id);
      let failed = false;
      run.signal?.ignore(ownRefs(claim.id));
      const lease = await Lease.acquire(
        clone,
        worker,
        claim,
        options.clock,
        (cause) => {
          failed = true;
          options.log(`${claim.id}: claim not pushed: ${cause}`);
        },
        options.verbose ? (cause) => options.log(`${claim.id}: claim lost, another worker was first (${cause})`) : undefined,
      );
      if (lease) return lease;
      run.signal?.unignore(ownRefs(claim.id));
      // A push that failed (unreachable, refused by a hook) is no lost race: the next job may still be taken.
      if (failed) continue;
      current.lost = true;
      break;
    }
    // Everything in a fresh view was tried: nothing more to claim until the queue changes.
    if (!current.lost) return undefined;
  }
  return undefined;
}

/** The view of the queue, when it may be claimed from without fetching: fresh, nothing lost from it, no drain or configuration change seen since, jobs left to try. */
function freshView(run: WorkerRun): QueueView | undefined {
  const { view, round } = run;
  if (!view || !round || view.lost) return undefined;
  if (run.options.clock.now() - view.fetchedAtMs >= FRESH_MS) return undefined;
  if (run.signal?.changesUnder(CONTROL_REFS) !== view.controlChanges) return undefined;
  return untried(view, round).length > 0 ? view : undefined;
}

/** Who this worker is in its lock and result commits, under the round's configuration. */
function identity(run: WorkerRun, round: WorkerRound): WorkerIdentity {
  const { options } = run;
  const sign = options.signingKey ? (payload: string) => options.signingKey!.sign(payload) : undefined;
  return { id: options.workerId, host: run.host, leaseSec: round.current.config.leaseSec, tools: round.gate.versions, sign };
}

/** The untried jobs of the view in the order this worker tries them (protocol/spread.ts). */
function claimOrderFor(run: WorkerRun, round: WorkerRound, view: QueueView): Claimable[] {
  return spreadClaims(untried(view, round), { id: run.options.workerId, pipelines: round.gate.runnable }, view.active);
}

/**
 * The look at the queue the next claim would start with, made before the
 * result goes out, so that the claim can go in the same push: when the view
 * is too old to claim from (or lost a race) and still showed jobs to try. A
 * job longer than FRESH_MS then costs one push and one fetch instead of two
 * pushes and a fetch. A look that fails leaves the result to go alone; the
 * next round says what is wrong. It runs while the job's heartbeats still do
 * (they push without touching the clone's refs, which the look's fetch moves).
 */
async function lookBeforeResult(run: WorkerRun): Promise<void> {
  const { view, round } = run;
  if (run.options.stop?.aborted || !view || !round || round.drained) return;
  if (freshView(run) || untried(view, round).length === 0) return;
  try {
    await inPhase('claim', () => lookAtQueue(run));
  } catch {
    run.view = undefined;
  }
}

/**
 * The claim a worker pushes together with the result it publishes (one
 * atomic push instead of two): the first job it would try next, when its view
 * is fresh and it is neither drained nor stopping. Undefined otherwise.
 */
async function nextClaimWithResult(run: WorkerRun): Promise<PreparedClaim | undefined> {
  if (run.options.stop?.aborted || !freshView(run)) return undefined;
  const round = run.round!;
  const view = run.view!;
  if (round.drained) return undefined;
  const [claim] = claimOrderFor(run, round, view);
  if (!claim) return undefined;
  view.tried.add(claim.id);
  run.signal?.ignore(ownRefs(claim.id));
  return Lease.prepare(run.clone, identity(run, round), claim, run.options.clock);
}

/**
 * Whether a ref change the watcher saw is news to the worker: a job it does
 * not know from its last fetch (a job ref that landed while it fetched, or one
 * that went, is none), and any other ref change it wakes on (locks: a job
 * handed back; its drain flag; the configuration).
 */
function isNews(run: WorkerRun, ref: string, event: string, repoDir: string): boolean {
  // A new folder is news only on the way to a drain flag or the configuration; in the queue its refs say it themselves.
  if (event === 'addDir') return CONTROL_REFS.some((prefix) => prefix.startsWith(`${ref}/`) || `${ref}/` === prefix);
  const lock = /^refs\/ci\/locks\/([^/]+)$/.exec(ref);
  if (lock) {
    // A lock deleted with its job is an archive; deleted alone, a job given back on shutdown.
    if (event === 'unlink') return lockDeletionFreesJob(repoDir, lock[1]!);
    // Another worker's claim, heartbeat or result frees nothing; a hand-back (release) frees the job. Unknown: news.
    const lockEvent = lockEventAt(repoDir, ref);
    return lockEvent === undefined || lockEvent === 'release';
  }
  const job = /^refs\/ci\/jobs\/([^/]+)$/.exec(ref);
  if (!job) return true;
  if (event === 'unlink') return false;
  return !run.view?.known.has(job[1]!);
}

/** The refs of a job this worker claims whose changes are its own doing (its claim, heartbeats and result) or follow from them (the archive). */
function ownRefs(id: string): string[] {
  return [jobRef(id), lockRef(id), resultRef(id)];
}

/** The view was fetched recently, nothing was lost from it, nothing in it is left to try: looking again now would find only what the watcher would have said. */
function viewExhausted(run: WorkerRun): boolean {
  const { view, round } = run;
  if (!view || !round || view.lost || !run.signal?.watching) return false;
  if (run.options.clock.now() - view.fetchedAtMs >= FRESH_MS) return false;
  if (run.signal.changesUnder(CONTROL_REFS) !== view.controlChanges) return false;
  return untried(view, round).length === 0;
}

/** The jobs of the view this worker can run and has not tried yet, in claim order. */
function untried(view: QueueView, round: WorkerRound): Claimable[] {
  return view.claimable.filter((claim) => !view.tried.has(claim.id) && round.gate.runnable.includes(claim.job.pipeline));
}

/** Fetches, sweeps and makes a new view of the queue (and of the configuration, the drain flag and the tools). */
async function lookAtQueue(run: WorkerRun): Promise<void> {
  const { options, clone } = run;
  const controlChanges = run.signal?.changesUnder(CONTROL_REFS);
  const round = await startRound(run);
  const fetchedAtMs = options.clock.now();
  const { config } = round.current;
  const sign = options.signingKey ? (payload: string) => options.signingKey!.sign(payload) : undefined;
  const snapshot = await readSnapshot(clone);
  const { plan } = await sweepLive(clone, snapshot, { stateDir: options.stateDir, clock: options.clock, leaseSec: config.leaseSec, queueTimeoutSec: config.queueTimeoutSec, actor: options.workerId, sign, log: options.log });
  const active = await run.workers.active(fetchedAtMs, ACTIVE_PRESENCE_FACTOR * config.presenceSec * 1000);
  const inFlight = [...snapshot.values()].some((live) => ['queued', 'running', 'cancelling'].includes(stateOf(live)));
  const running = [...snapshot.values()].some((live) => ['running', 'cancelling'].includes(stateOf(live)));
  const known = new Set([...snapshot.values()].filter((live) => live.job).map((live) => live.id));
  run.view = { fetchedAtMs, claimable: plan.claimable, tried: new Set(), lost: false, active, inFlight, controlChanges, known, nextChangeMs: plan.nextChangeMs, running };
}

/** A worker whose presence has not moved for this many presenceSec is left out when claims are spread. */
const ACTIVE_PRESENCE_FACTOR = 3;

/** How long a pipeline whose job this host could not run (see run/infrastructure.ts) is not claimed here. */
const HOST_PROBLEM_MS = 10 * 60_000;
const HOST_PROBLEMS_FILE = 'host-problems.json';

type HostProblems = Record<string, { reason: string; untilMs: number }>;

function loadHostProblems(stateDir: string, nowMs: number): HostProblems {
  const all = loadStateFile<HostProblems>(stateDir, HOST_PROBLEMS_FILE, () => ({}));
  return Object.fromEntries(Object.entries(all).filter(([, problem]) => typeof problem?.untilMs === 'number' && problem.untilMs > nowMs));
}

/**
 * Remembers, in the state folder so cron runs see it too, that a job of
 * `pipeline` could not run on this host: without it the worker would take
 * the job it just handed back, and every other, and burn their attempts.
 */
function noteHostProblem(run: WorkerRun, pipeline: string, reason: string): void {
  const now = run.options.clock.now();
  saveStateFile(run.options.stateDir, HOST_PROBLEMS_FILE, { ...loadHostProblems(run.options.stateDir, now), [pipeline]: { reason, untilMs: now + HOST_PROBLEM_MS } });
  // The view's round still lets this host claim the pipeline: the next claim starts a new round, which does not.
  run.view = undefined;
}

/** The gate with every pipeline blocked while the worker's signing does not fit the configuration (its results would be refused). */
function withSigning(gate: GateResult, block: string | undefined): GateResult {
  if (!block) return gate;
  const blocked = { ...gate.blocked };
  for (const pipeline of gate.runnable) blocked[pipeline] = block;
  return { ...gate, runnable: [], blocked };
}

/** The gate, with the pipelines this host recently failed to run moved to `blocked`. */
function withHostProblems(gate: GateResult, problems: HostProblems, nowMs: number): GateResult {
  const hit = gate.runnable.filter((pipeline) => problems[pipeline]);
  if (hit.length === 0) return gate;
  const blocked = { ...gate.blocked };
  for (const pipeline of hit) {
    const { reason, untilMs } = problems[pipeline];
    blocked[pipeline] = `${reason} (on this host; trying again in ${Math.ceil((untilMs - nowMs) / 60_000)}m)`;
  }
  return { ...gate, runnable: gate.runnable.filter((pipeline) => !problems[pipeline]), blocked };
}

/** How a claimed job ended, and the next job when its claim went out with the result. */
interface Ended {
  ended: 'published' | 'lost' | 'handed-back';
  next?: Lease;
}

async function runClaimed(lease: Lease, run: WorkerRun): Promise<Ended> {
  const { options } = run;
  const round = run.round!;
  const { config, commit } = round.current;
  const { job, attempt } = lease.claim;
  options.log(`${job.id}: claimed by ${lease.worker.id}, attempt ${attempt} (pipeline ${job.pipeline})`);
  const running: PresenceState = {
    ...presenceState(run, round),
    state: 'running',
    job: { id: job.id, pipeline: job.pipeline, attempt, startedAt: isoOf(options.clock.now()) },
  };
  // Not awaited: the announcement must not delay the job; presence pushes run one at a time.
  // Pushed only when due: the lock already tells who runs the job.
  void run.presence.announce(running, config.presenceSec);
  const abort = new AbortController();
  let abortReason = 'cancelled';
  let abortStatus: 'cancelled' | 'error' = 'cancelled';
  const stopWith = (reason: string, status: 'cancelled' | 'error' = 'cancelled') => {
    if (abort.signal.aborted) return;
    abortReason = reason;
    abortStatus = status;
    abort.abort();
  };
  let lost = false;
  let renewing: Promise<void> = Promise.resolve();
  // The steps' output so far rides on each heartbeat (the live log); a heartbeat when nothing new came carries the same files again.
  const liveLog = config.liveLogBytes > 0 ? new LiveLogTails(config.liveLogBytes) : undefined;
  const heartbeat = setInterval(() => {
    renewing = renewing.then(async () => {
      try {
        const renewed = await inPhase('heartbeat', () => lease.renew(liveLog?.files()));
        if (renewed.state === 'failed') {
          // Not lost: nobody took the lock. The next beat (leaseSec / 3 later) tries again, twice before the lease runs out.
          options.log(`${job.id}: heartbeat failed, will retry: ${renewed.cause}`);
          return;
        }
        if (renewed.state === 'lost') {
          lost = true;
          stopWith(`lease lost to another worker`);
        } else if (renewed.state === 'cancelled') stopWith('cancelled on request');
        void run.presence.announce(running, config.presenceSec);
      } catch (error) {
        options.log(`${job.id}: heartbeat failed, will retry: ${(error as Error).message}`);
      }
    });
  }, heartbeatIntervalMs(lease.worker.leaseSec));
  // The job's whole run, checkout included: a source repository that never answers ends the job as an error.
  const timeout = setTimeout(() => stopWith(`timed out after ${job.timeoutSec}s (the job's timeoutSec)`, 'error'), job.timeoutSec * 1000);
  const onStop = () => stopWith('worker shutting down');
  options.stop?.addEventListener('abort', onStop);
  // A stop that came while the job was being claimed fires no event any more.
  if (options.stop?.aborted) onStop();
  try {
    const outcome = await options.runJob({
      job,
      config,
      ...(commit ? { configCommit: commit } : {}),
      worker: lease.worker.id,
      attempt,
      tools: lease.worker.tools,
      signal: abort.signal,
      now: () => options.clock.now(),
      abortReason: () => abortReason,
      abortStatus: () => abortStatus,
      output: liveLog,
    });
    // The result names the configuration it ran under, not the one the job was enqueued under.
    const { configCommit: _enqueuedUnder, ...rest } = outcome.result;
    let result = commit ? { ...rest, configCommit: commit } : rest;
    // Heartbeats go on meanwhile: a look may update a tool the configuration now wants, which can outlast a lease.
    if (!outcome.infrastructure) await lookBeforeResult(run);
    clearInterval(heartbeat);
    await renewing;
    if (lost) {
      options.log(`${job.id}: lease lost to another worker; result discarded`);
      return { ended: 'lost' };
    }
    if (options.stop?.aborted) {
      // Hand the job back untouched rather than burn an attempt on a shutdown.
      await lease.release();
      options.log(`${job.id}: released on shutdown`);
      return { ended: 'lost' };
    }
    if (outcome.infrastructure) {
      noteHostProblem(run, job.pipeline, outcome.infrastructure);
      await quarantineIfDue(run, outcome.infrastructure, config.quarantineAfter);
      if (attempt < job.maxAttempts) {
        const handed = await lease.handBack(outcome.infrastructure);
        options.log(
          handed.won
            ? `${job.id}: handed back after attempt ${attempt} of ${job.maxAttempts}, not judged: ${outcome.infrastructure}; not claiming pipeline ${job.pipeline} here for ${HOST_PROBLEM_MS / 60_000}m`
            : handed.outcome === 'refused'
              ? `${job.id}: could not hand back (the lease was taken over): ${outcome.infrastructure}`
              : `${job.id}: could not hand back (${handed.cause}): ${outcome.infrastructure}`,
        );
        return { ended: handed.won ? 'handed-back' : 'lost' };
      }
      // The last attempt: the job ends, and its reason names every host problem that stopped it.
      result = { ...result, reason: infrastructureReason([...(lease.claim.infrastructure ?? []), outcome.infrastructure], attempt, job.maxAttempts) };
    }
    if (!outcome.infrastructure) noteJobEnd(options.stateDir, undefined);
    const publish = (also?: PreparedClaim) =>
      inPhase('result', () =>
        publishResult(lease.clone, {
          result,
          artifacts: outcome.artifacts,
          parent: lease.tip,
          lockTip: lease.tip,
          jobOid: lease.claim.jobOid,
          mirror: false,
          actor: lease.worker.id,
          clock: options.clock,
          sign: lease.worker.sign,
          also: also?.updates,
        }),
      );
    const next = await nextClaimWithResult(run);
    let pushed = await publish(next);
    let claimedNext = next && pushed.won ? next.lease : undefined;
    if (next && !pushed.won && onlyTheClaimFailed(pushed, next)) {
      // The next claim lost its race (or was refused): the result goes alone; the claim is tried from a fresh view.
      if (pushed.outcome === 'refused') run.view!.lost = true;
      else options.log(`${next.claim.id}: claim not pushed: ${pushed.cause}`);
      pushed = await publish();
      claimedNext = undefined;
    }
    // A claim that did not go out with the result: whoever holds that job may give it back, which is news again.
    if (next && !claimedNext) run.signal?.unignore(ownRefs(next.claim.id));
    if (!pushed.won && refusedRefs(pushed).includes(jobRef(job.id))) {
      // The job ref is gone: it was finished and archived by another host before this claim won (archiving deletes the lock too).
      await lease.release();
      options.log(`${job.id}: the job was finished or cancelled by another host before this claim; lock given back`);
      return { ended: 'lost' };
    }
    options.log(
      pushed.won
        ? `${job.id}: ${result.status}: ${result.reason}${pushed.answerLost ? ` (published; the push's answer was lost: ${pushed.answerLost})` : ''}`
        : pushed.outcome === 'refused'
          ? `${job.id}: result rejected: the lease was taken over (${pushed.cause}); result discarded`
          : `${job.id}: result not pushed: ${pushed.cause}`,
    );
    return { ended: pushed.won ? 'published' : 'lost', next: claimedNext };
  } finally {
    clearInterval(heartbeat);
    clearTimeout(timeout);
    options.stop?.removeEventListener('abort', onStop);
  }
}

/** Whether a result pushed with a claim failed because of the claim's refs alone (the claim lost, or the repository refused it). */
function onlyTheClaimFailed(pushed: PushResult, next: PreparedClaim): boolean {
  const claimRefs = new Set(next.updates.map((update) => update.ref));
  const blamed = [...refusedRefs(pushed), ...declinedRefs(pushed)];
  return blamed.length > 0 && blamed.every((ref) => claimRefs.has(ref));
}

/** Counts a job the host could not run; at the configured streak the worker drains itself (quarantine.ts). */
async function quarantineIfDue(run: WorkerRun, infrastructure: string, after: number): Promise<void> {
  const { options } = run;
  const reason = quarantineReason(noteJobEnd(options.stateDir, infrastructure), after);
  if (!reason) return;
  try {
    await drainWorker({ clone: run.clone, clock: options.clock, by: options.workerId }, options.workerId, reason);
    clearStreak(options.stateDir);
    options.log(`${reason}; refci worker undrain ${options.workerId} resumes`);
  } catch (error) {
    // The next failure tries again: the streak is kept.
    options.log(`could not quarantine this worker: ${(error as Error).message}`);
  }
}

import os from 'node:os';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { ConfigSource, type CurrentConfig } from '../coord/config-source.ts';
import { Presence, type PresenceState } from '../coord/presence.ts';
import { allowedPipelines, hostKindOf } from '../fleet/rules.ts';
import { ToolGate, type GateResult } from '../fleet/tool-gate.ts';
import { signingState } from '../fleet/signing-gate.ts';
import type { SigningKey } from '../git/ssh-signature.ts';
import { CoordClone } from '../coord/clone.ts';
import { readSnapshot } from '../coord/snapshot.ts';
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
import { Lease, type WorkerIdentity } from './lease.ts';
import { sweepLive } from '../coord/sweep.ts';
import { WorkSignal } from '../coord/wait.ts';
import { unreachableRound } from '../coord/round-failure.ts';

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
  random?: () => number;
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

/** One worker process's long-lived parts. */
interface WorkerRun {
  options: WorkerOptions;
  clone: CoordClone;
  source: ConfigSource;
  tools: ToolGate;
  presence: Presence;
  host: string;
  round?: WorkerRound;
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
    host: os.hostname(),
    said: new Map(),
  };
  const summary: WorkerSummary = { ran: 0, published: 0, lost: 0, handedBack: 0, serves: [], blocked: {} };
  const poll = options.pollMs ?? { min: 1000, max: 30_000 };
  let idleMs = poll.min;
  const work = options.once ? undefined : await WorkSignal.open(options.coord);
  try {
    while (!options.stop?.aborted) {
      // Armed before the round: a job enqueued while this one runs wakes the next wait at once.
      work?.arm();
      try {
        const claimed = await claimNext(run);
        if (claimed) {
          idleMs = poll.min;
          summary.ran += 1;
          const ended = await runClaimed(claimed, run);
          if (ended === 'published') summary.published += 1;
          else if (ended === 'handed-back') summary.handedBack += 1;
          else summary.lost += 1;
          continue;
        }
      } catch (error) {
        // A job whose result could not be pushed is left to its lease: another worker takes it over.
        const why = work ? unreachableRound(error) : undefined;
        if (!why) throw error;
        options.log(`the coordination repository cannot be reached; trying again in ${Math.ceil(idleMs / 1000)}s: ${why}`);
      }
      if (!work) break;
      await work.wait(idleMs, options.stop);
      idleMs = Math.min(poll.max, idleMs * 2);
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
  return summary;
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
  await clone.fetch(liveRefspecs({ config: !options.config, drain: true }));
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

async function claimNext(run: WorkerRun): Promise<Lease | undefined> {
  const { options, clone } = run;
  const round = await startRound(run);
  const { config } = round.current;
  const sign = options.signingKey ? (payload: string) => options.signingKey!.sign(payload) : undefined;
  const worker: WorkerIdentity = { id: options.workerId, host: run.host, leaseSec: config.leaseSec, tools: round.gate.versions, sign };
  const snapshot = await readSnapshot(clone);
  const { plan } = await sweepLive(clone, snapshot, { stateDir: options.stateDir, clock: options.clock, leaseSec: config.leaseSec, queueTimeoutSec: config.queueTimeoutSec, actor: worker.id, sign, log: options.log });
  if (round.drained) return undefined;
  const runnable = plan.claimable.filter((claim) => round.gate.runnable.includes(claim.job.pipeline));
  for (const claim of spreadContention(runnable, options.random ?? Math.random)) {
    if (options.stop?.aborted) return undefined;
    const lease = await Lease.acquire(
      clone,
      worker,
      claim,
      options.clock,
      (cause) => options.log(`${claim.id}: claim not pushed: ${cause}`),
      options.verbose ? (cause) => options.log(`${claim.id}: claim lost, another worker was first (${cause})`) : undefined,
    );
    if (lease) return lease;
  }
  return undefined;
}

/**
 * Many workers see the same order; if all tried the first job, all but one
 * would lose every round. Each starts at a random place among the first few
 * jobs of the highest priority, which keeps priority order but spreads claims.
 */
export function spreadContention(claims: Claimable[], random: () => number): Claimable[] {
  if (claims.length < 2) return claims;
  const top = claims[0].job.priority;
  const band = Math.min(16, claims.findIndex((c) => c.job.priority !== top) === -1 ? claims.length : claims.findIndex((c) => c.job.priority !== top));
  const start = Math.floor(random() * band);
  return [...claims.slice(start, band), ...claims.slice(0, start), ...claims.slice(band)];
}

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

async function runClaimed(lease: Lease, run: WorkerRun): Promise<'published' | 'lost' | 'handed-back'> {
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
        const renewed = await lease.renew(liveLog?.files());
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
  const live = lease.stillLive().then(
    (ok) => {
      if (!ok) stopWith('the job was finished or cancelled by another host before this claim');
      return ok;
    },
    () => true, // Unreachable now: the result push's own leases still protect the job.
  );
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
    clearInterval(heartbeat);
    await renewing;
    if (lost) {
      options.log(`${job.id}: lease lost to another worker; result discarded`);
      return 'lost';
    }
    if (!(await live)) {
      await lease.release();
      options.log(`${job.id}: the job was finished or cancelled by another host before this claim; lock given back`);
      return 'lost';
    }
    if (options.stop?.aborted) {
      // Hand the job back untouched rather than burn an attempt on a shutdown.
      await lease.release();
      options.log(`${job.id}: released on shutdown`);
      return 'lost';
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
        return handed.won ? 'handed-back' : 'lost';
      }
      // The last attempt: the job ends, and its reason names every host problem that stopped it.
      result = { ...result, reason: infrastructureReason([...(lease.claim.infrastructure ?? []), outcome.infrastructure], attempt, job.maxAttempts) };
    }
    if (!outcome.infrastructure) noteJobEnd(options.stateDir, undefined);
    const pushed = await publishResult(lease.clone, {
      result,
      artifacts: outcome.artifacts,
      parent: lease.tip,
      lockTip: lease.tip,
      actor: lease.worker.id,
      clock: options.clock,
      sign: lease.worker.sign,
    });
    options.log(
      pushed.won
        ? `${job.id}: ${result.status}: ${result.reason}`
        : pushed.outcome === 'refused'
          ? `${job.id}: result rejected: the lease was taken over; result discarded`
          : `${job.id}: result not pushed: ${pushed.cause}`,
    );
    return pushed.won ? 'published' : 'lost';
  } finally {
    clearInterval(heartbeat);
    clearTimeout(timeout);
    options.stop?.removeEventListener('abort', onStop);
  }
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

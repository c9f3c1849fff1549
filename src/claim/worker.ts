import os from 'node:os';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { CoordClone } from '../git/clone.ts';
import { readSnapshot } from '../git/live-snapshot.ts';
import type { Clock } from '../host/clock.ts';
import { heartbeatIntervalMs, observeLocks } from '../protocol/lease.ts';
import { liveRefspecs } from '../protocol/refs.ts';
import { planSweep, type Claimable } from '../protocol/sweep.ts';
import { runPipeline, type BeforeSteps, type StepWrapper } from '../run/pipeline.ts';
import { toolsOfPipelines, toolVersions } from '../run/tool-versions.ts';
import { Workspace } from '../run/workspace.ts';
import { applySweepAction, closeJob } from './close-job.ts';
import { Lease, type WorkerIdentity } from './lease.ts';
import { loadSeenLocks, saveSeenLocks } from './seen-store.ts';
import { waitForWork } from './wait.ts';

export interface WorkerOptions {
  coord: string;
  workerId: string;
  stateDir: string;
  config: FleetConfig;
  clock: Clock;
  /** Take what is free, then return (cron); otherwise poll until `stop` fires. */
  once: boolean;
  log: (line: string) => void;
  stop?: AbortSignal;
  /** Pipelines this worker runs; all configured ones by default. */
  pipelines?: string[];
  pollMs?: { min: number; max: number };
  random?: () => number;
  wrap?: StepWrapper;
  beforeSteps?: Partial<Record<string, BeforeSteps>>;
}

export interface WorkerSummary {
  ran: number;
  published: number;
  lost: number;
}

/**
 * The worker loop: fetch the live refs, sweep (set aside malformed jobs, give
 * up on jobs out of attempts), claim the first free job by compare-and-swap,
 * run it under a renewed lease, publish the result atomically with the lock.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const clone = await CoordClone.open(path.join(options.stateDir, 'coord.git'), options.coord);
  const workspace = new Workspace(options.stateDir);
  const pipelines = options.pipelines ?? Object.keys(options.config.pipelines);
  const worker: WorkerIdentity = {
    id: options.workerId,
    host: os.hostname(),
    leaseSec: options.config.leaseSec,
    tools: await toolVersions(options.config, toolsOfPipelines(options.config, pipelines)),
  };
  const summary: WorkerSummary = { ran: 0, published: 0, lost: 0 };
  const poll = options.pollMs ?? { min: 1000, max: 30_000 };
  let idleMs = poll.min;
  while (!options.stop?.aborted) {
    const claimed = await claimNext(clone, worker, pipelines, options);
    if (claimed) {
      idleMs = poll.min;
      summary.ran += 1;
      const published = await runClaimed(claimed, workspace, options);
      if (published) summary.published += 1;
      else summary.lost += 1;
      continue;
    }
    if (options.once) break;
    await waitForWork(options.coord, idleMs, options.stop);
    idleMs = Math.min(poll.max, idleMs * 2);
  }
  return summary;
}

async function claimNext(clone: CoordClone, worker: WorkerIdentity, pipelines: string[], options: WorkerOptions): Promise<Lease | undefined> {
  await clone.fetch(liveRefspecs());
  const snapshot = await readSnapshot(clone);
  const now = options.clock.now();
  const tips = new Map([...snapshot.values()].filter((live) => live.lock).map((live) => [live.id, live.lock!.oid]));
  const seen = observeLocks(loadSeenLocks(options.stateDir), tips, now);
  saveSeenLocks(options.stateDir, seen);
  const plan = planSweep({ snapshot, seen, nowMs: now, defaultLeaseSec: options.config.leaseSec });
  for (const action of plan.actions) {
    if (await applySweepAction(clone, snapshot, action, worker.id, options.clock)) {
      options.log(`${action.id}: ${action.reason}`);
    }
  }
  const runnable = plan.claimable.filter((claim) => pipelines.includes(claim.job.pipeline));
  for (const claim of spreadContention(runnable, options.random ?? Math.random)) {
    const lease = await Lease.acquire(clone, worker, claim, options.clock);
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

async function runClaimed(lease: Lease, workspace: Workspace, options: WorkerOptions): Promise<boolean> {
  const { job, attempt } = lease.claim;
  options.log(`${job.id}: claimed by ${lease.worker.id}, attempt ${attempt} (pipeline ${job.pipeline})`);
  const abort = new AbortController();
  let abortReason = 'cancelled';
  const stopWith = (reason: string) => {
    if (abort.signal.aborted) return;
    abortReason = reason;
    abort.abort();
  };
  let lost = false;
  let renewing: Promise<void> = Promise.resolve();
  const heartbeat = setInterval(() => {
    renewing = renewing.then(async () => {
      try {
        const state = await lease.renew();
        if (state === 'lost') {
          lost = true;
          stopWith(`lease lost to another worker`);
        } else if (state === 'cancelled') stopWith('cancelled on request');
      } catch (error) {
        options.log(`${job.id}: heartbeat failed, will retry: ${(error as Error).message}`);
      }
    });
  }, heartbeatIntervalMs(lease.worker.leaseSec));
  const timeout = setTimeout(() => stopWith(`timed out after ${job.timeoutSec}s`), job.timeoutSec * 1000);
  const live = lease.stillLive().then(
    (ok) => {
      if (!ok) stopWith('the job was finished or cancelled by another host before this claim');
      return ok;
    },
    () => true, // Unreachable now: the result push's own leases still protect the job.
  );
  const onStop = () => stopWith('worker shutting down');
  options.stop?.addEventListener('abort', onStop);
  try {
    const pipeline = options.config.pipelines[job.pipeline];
    const outcome = await runPipeline({
      job,
      pipeline,
      config: options.config,
      workspace,
      worker: lease.worker.id,
      attempt,
      tools: lease.worker.tools,
      signal: abort.signal,
      now: () => options.clock.now(),
      abortReason: () => abortReason,
      wrap: options.wrap,
      beforeSteps: options.beforeSteps?.[pipeline.kind],
    });
    clearInterval(heartbeat);
    await renewing;
    if (lost) {
      options.log(`${job.id}: lease lost to another worker; result discarded`);
      return false;
    }
    if (!(await live)) {
      await lease.release();
      options.log(`${job.id}: the job was finished or cancelled by another host before this claim; lock given back`);
      return false;
    }
    if (options.stop?.aborted) {
      // Hand the job back untouched rather than burn an attempt on a shutdown.
      await lease.release();
      options.log(`${job.id}: released on shutdown`);
      return false;
    }
    const published = await closeJob(lease.clone, {
      result: outcome.result,
      artifacts: outcome.artifacts,
      parent: lease.tip,
      lockTip: lease.tip,
      actor: lease.worker.id,
      clock: options.clock,
    });
    options.log(
      published
        ? `${job.id}: ${outcome.result.status}: ${outcome.result.reason}`
        : `${job.id}: result rejected: the lease was taken over; result discarded`,
    );
    return published;
  } finally {
    clearInterval(heartbeat);
    clearTimeout(timeout);
    options.stop?.removeEventListener('abort', onStop);
  }
}

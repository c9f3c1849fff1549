import type { CoordClone } from './clone.ts';
import type { CommitSigner } from '../git/objects.ts';
import type { Clock } from '../host/clock.ts';
import { observeLocks } from '../protocol/lease.ts';
import type { Snapshot } from '../protocol/snapshot.ts';
import { planSweep, type SweepPlan } from '../protocol/sweep.ts';
import { applySweepAction } from './close-job.ts';
import { loadSeenLocks, saveSeenLocks } from './seen-locks.ts';

export interface SweepLiveOptions {
  stateDir: string;
  clock: Clock;
  leaseSec: number;
  /** Queued jobs older than this end as errors (the configuration's queueTimeoutSec). */
  queueTimeoutSec?: number;
  /** Who writes the closing results (their author and `worker`): a worker or the collector. */
  actor: string;
  /** Signs the closing results with this host's key (a worker started with --signing-key). */
  sign?: CommitSigner;
  log?: (line: string) => void;
}

/**
 * One sweep over a freshly read snapshot, as every worker and the collector
 * runs it before doing anything else: note the lock tips this host sees (and
 * since when, on its own clock, kept on disk between runs), plan, and close
 * what the plan says (rejected, expired, cancelled). Returns the plan and
 * whether any job was closed, after which the snapshot is stale.
 */
export async function sweepLive(clone: CoordClone, snapshot: Snapshot, options: SweepLiveOptions): Promise<{ plan: SweepPlan; closed: boolean }> {
  const now = options.clock.now();
  const tips = new Map([...snapshot.values()].filter((live) => live.lock).map((live) => [live.id, live.lock!.oid]));
  const seen = observeLocks(loadSeenLocks(options.stateDir), tips, now);
  saveSeenLocks(options.stateDir, seen);
  const plan = planSweep({ snapshot, seen, nowMs: now, defaultLeaseSec: options.leaseSec, queueTimeoutSec: options.queueTimeoutSec });
  let closed = false;
  for (const action of plan.actions) {
    const pushed = await applySweepAction(clone, snapshot, action, options.actor, options.clock, options.sign);
    if (pushed?.won) {
      closed = true;
      options.log?.(`${action.id}: ${action.reason}`);
    } else if (pushed?.outcome === 'failed') {
      // Not another host's win: the repository refused the closing result, or could not be reached.
      options.log?.(`${action.id}: could not close it (${action.reason}): ${pushed.cause}`);
    }
  }
  return { plan, closed };
}

import type { CancelRecord } from '../protocol/cancel.ts';
import type { JobDescriptor } from '../protocol/job.ts';
import { descriptorOf, stateOf, type Snapshot } from '../protocol/snapshot.ts';

export interface EnqueuePlanInput {
  wanted: JobDescriptor[];
  snapshot: Snapshot;
  /** True when the id is already in the history branch. */
  isArchived: (id: string) => boolean;
  by: string;
  nowIso: string;
  /** Live jobs to cancel as well (closed pull request, noci label), in the same push; jobs no longer active are left alone. */
  cancel?: CancelRequest[];
}

export interface CancelRequest {
  id: string;
  reason: string;
}

export interface EnqueuePlan {
  create: JobDescriptor[];
  skipped: { id: string; why: string }[];
  cancel: CancelRecord[];
}

const ACTIVE = new Set(['queued', 'running']);

/**
 * Pure: which jobs to create, which to leave (already queued or done), and
 * which older jobs of the same key (same PR and pipeline) the new ones cancel,
 * plus the cancellations asked for that still apply.
 */
export function planEnqueue(input: EnqueuePlanInput): EnqueuePlan {
  const plan: EnqueuePlan = { create: [], skipped: [], cancel: [] };
  const cancelled = new Set<string>();
  for (const job of input.wanted) {
    if (input.snapshot.get(job.id)?.job) {
      plan.skipped.push({ id: job.id, why: `${job.id} is already queued (state ${stateOf(input.snapshot.get(job.id)!)})` });
      continue;
    }
    if (input.isArchived(job.id)) {
      plan.skipped.push({ id: job.id, why: `${job.id} already ran and is archived; use refci retry ${job.id} to run it again` });
      continue;
    }
    if (plan.create.some((other) => other.id === job.id)) continue;
    plan.create.push(job);
    if (!job.key) continue;
    for (const live of input.snapshot.values()) {
      const older = descriptorOf(live);
      if (!older || older.key !== job.key || older.id === job.id) continue;
      if (!ACTIVE.has(stateOf(live)) || cancelled.has(older.id)) continue;
      cancelled.add(older.id);
      plan.cancel.push({
        version: 1,
        job: older.id,
        reason: `superseded by ${job.id} (head ${job.head.slice(0, 12)})`,
        by: input.by,
        at: input.nowIso,
        supersededBy: job.id,
      });
    }
  }
  for (const request of input.cancel ?? []) {
    const live = input.snapshot.get(request.id);
    if (!live?.job || !ACTIVE.has(stateOf(live)) || cancelled.has(request.id)) continue;
    cancelled.add(request.id);
    plan.cancel.push({ version: 1, job: request.id, reason: request.reason, by: input.by, at: input.nowIso });
  }
  return plan;
}

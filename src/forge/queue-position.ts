/**
 * Which "queued, position N" statuses a discovery poll posts (pure). A pending status per move
 * of the queue would cost one write per queued pull request and poll; most of those moves tell a
 * contributor nothing. A position is posted again only when it crosses a step that matters
 * (POSITION_STEPS: 1, 2, 3, 5, 10, 20, 50, …), at most once per pull request and poll, nearest
 * the front of the queue first, and never more than the write budget's room for progress.
 */

/** Positions whose crossing is worth a new status. */
export const POSITION_STEPS = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000] as const;

/** The band a position falls in: 0 for 1, 1 for 2, 2 for 3, 3 for 4–5, 4 for 6–10, … */
export function positionBand(position: number): number {
  const index = POSITION_STEPS.findIndex((step) => position <= step);
  return index < 0 ? POSITION_STEPS.length : index;
}

/** Whether moving from `posted` (undefined: nothing posted yet) to `now` deserves a new status. */
export function positionMatters(posted: number | undefined, now: number): boolean {
  return posted === undefined || positionBand(posted) !== positionBand(now);
}

export interface QueuedEntry {
  jobId: string;
  pr: number;
  head: string;
  /** 1-based position in the whole queue, in claim order. */
  position: number;
}

export interface PositionPlan {
  /** Statuses to post now, nearest the front first. */
  post: QueuedEntry[];
  /** Updates that matter but did not fit in the room left this hour (posted by a later poll). */
  deferred: QueuedEntry[];
}

/**
 * `queue`: this repository's queued jobs within the positions refci keeps statuses for, in claim
 * order. `posted`: the position last posted, by job id. `room`: the progress writes the budget
 * allows now.
 */
export function planPositionUpdates(queue: readonly QueuedEntry[], posted: Readonly<Record<string, number | undefined>>, room: number): PositionPlan {
  const plan: PositionPlan = { post: [], deferred: [] };
  const seen = new Set<number>();
  for (const entry of [...queue].sort((a, b) => a.position - b.position)) {
    // One status per pull request and poll: its job nearest the front speaks for it.
    if (seen.has(entry.pr)) continue;
    seen.add(entry.pr);
    if (!positionMatters(posted[entry.jobId], entry.position)) continue;
    if (plan.post.length < room) plan.post.push(entry);
    else plan.deferred.push(entry);
  }
  return plan;
}

/** The position a posted description names (`queued, position 12`), for state files of older versions. */
export function postedPosition(description: string | number | undefined): number | undefined {
  if (typeof description === 'number') return description;
  const match = /position (\d+)/.exec(description ?? '');
  return match ? Number(match[1]) : undefined;
}

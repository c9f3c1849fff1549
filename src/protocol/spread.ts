import { createHash } from 'node:crypto';
import type { Claimable } from './sweep.ts';

/**
 * How workers spread their claims so that they do not all race for the head
 * of the queue (docs/protocol.md, section 4, Claim order). Every worker knows
 * the other active workers (their presence) and which pipelines each serves;
 * each job of the window at the head of the queue has one owner among the
 * workers that serve its pipeline, chosen by rendezvous hashing, so workers
 * that agree on who is active never try the same job. A worker tries the jobs
 * it owns in the window first, oldest first, then the others of the window
 * from a place its id picks, then the rest of the queue in order. A worker
 * whose view is a little behind only loses a claim now and then; nothing here
 * is needed for safety, only for speed (the create-only lock decides).
 */

/** Another worker as its presence shows it: its id and the pipelines it claims now. */
export interface ActiveWorker {
  id: string;
  pipelines: readonly string[];
}

/** Jobs per active worker in the window at the head of the queue that owners are chosen in. */
export const WINDOW_PER_WORKER = 4;

/** The rendezvous weight of a job for a worker: the first 48 bits of sha256(job id NUL worker id). */
export function claimWeight(jobId: string, workerId: string): number {
  return parseInt(createHash('sha256').update(`${jobId}\0${workerId}`).digest('hex').slice(0, 12), 16);
}

/** The worker that owns a job: the highest weight among those serving its pipeline (ties: the smaller id); undefined when none does. */
export function ownerOf(jobId: string, pipeline: string, workers: readonly ActiveWorker[]): string | undefined {
  let best: { id: string; weight: number } | undefined;
  for (const worker of workers) {
    if (!worker.pipelines.includes(pipeline)) continue;
    const weight = claimWeight(jobId, worker.id);
    if (!best || weight > best.weight || (weight === best.weight && worker.id < best.id)) best = { id: worker.id, weight };
  }
  return best?.id;
}

/**
 * The order in which worker `me` tries `claims` (already in claim order and
 * limited to what it can run). `active` are the other workers it knows of;
 * `me` is counted among them with `myPipelines`. Priority still comes first:
 * the window holds jobs of the highest priority only.
 */
export function spreadClaims(claims: Claimable[], me: ActiveWorker, active: readonly ActiveWorker[]): Claimable[] {
  if (claims.length < 2) return claims;
  const workers = [me, ...active.filter((worker) => worker.id !== me.id)];
  const top = claims[0]!.job.priority;
  const bandEnd = claims.findIndex((claim) => claim.job.priority !== top);
  const band = bandEnd === -1 ? claims.length : bandEnd;
  const window = Math.min(band, WINDOW_PER_WORKER * workers.length);
  const head = claims.slice(0, window);
  const mine = head.filter((claim) => ownerOf(claim.id, claim.job.pipeline, workers) === me.id);
  const others = head.filter((claim) => ownerOf(claim.id, claim.job.pipeline, workers) !== me.id);
  const start = others.length > 0 ? claimWeight('', me.id) % others.length : 0;
  return [...mine, ...others.slice(start), ...others.slice(0, start), ...claims.slice(window)];
}

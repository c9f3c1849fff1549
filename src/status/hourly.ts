import type { Summary } from '../protocol/history.ts';
import { percentiles } from './report.ts';

/** One hour of finished jobs: counts by verdict, queue wait and run time percentiles. */
export interface HourBucket {
  /** Start of the hour, ISO. */
  hour: string;
  verdicts: { success: number; failure: number; error: number; cancelled: number };
  waitP50?: number;
  waitP90?: number;
  runP50?: number;
  runP90?: number;
}

const HOUR = 3600_000;

/**
 * Archived jobs grouped by the hour they finished, for the `hours` hours
 * before `nowMs` (oldest first, empty hours included, so a chart's x axis is
 * time). Pure: times are the hosts' own, shown as they are.
 */
export function hourlyBuckets(history: Summary[], nowMs: number, hours: number): HourBucket[] {
  const end = Math.floor(nowMs / HOUR) * HOUR + HOUR;
  const start = end - hours * HOUR;
  const buckets = Array.from({ length: hours }, (_, index) => ({
    hour: new Date(start + index * HOUR).toISOString(),
    verdicts: { success: 0, failure: 0, error: 0, cancelled: 0 },
    waits: [] as number[],
    runs: [] as number[],
  }));
  for (const summary of history) {
    const at = Date.parse(summary.finishedAt ?? summary.archivedAt);
    if (!Number.isFinite(at) || at < start || at >= end) continue;
    const bucket = buckets[Math.floor((at - start) / HOUR)];
    bucket.verdicts[summary.verdict] += 1;
    const enqueued = summary.enqueuedAt ? Date.parse(summary.enqueuedAt) : NaN;
    const started = summary.startedAt ? Date.parse(summary.startedAt) : NaN;
    if (Number.isFinite(enqueued) && Number.isFinite(started)) bucket.waits.push(Math.max(0, (started - enqueued) / 1000));
    if (Number.isFinite(started) && summary.verdict !== 'cancelled') bucket.runs.push(Math.max(0, (at - started) / 1000));
  }
  return buckets.map(({ hour, verdicts, waits, runs }) => {
    const wait = percentiles(waits);
    const run = percentiles(runs);
    return { hour, verdicts, waitP50: wait?.p50, waitP90: wait?.p90, runP50: run?.p50, runP90: run?.p90 };
  });
}

/** Finished jobs per worker over the same window, most first. */
export function throughputByWorker(history: Summary[], nowMs: number, hours: number): { worker: string; jobs: number }[] {
  const since = nowMs - hours * HOUR;
  const counts = new Map<string, number>();
  for (const summary of history) {
    const at = Date.parse(summary.finishedAt ?? summary.archivedAt);
    if (!summary.worker || !Number.isFinite(at) || at < since) continue;
    counts.set(summary.worker, (counts.get(summary.worker) ?? 0) + 1);
  }
  return [...counts].map(([worker, jobs]) => ({ worker, jobs })).sort((a, b) => b.jobs - a.jobs || a.worker.localeCompare(b.worker));
}

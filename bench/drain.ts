/**
 * Draining a queue with a fleet of daemons on this machine: `refci work`
 * daemons and a `refci collect` daemon, started and idle before the jobs are
 * enqueued in one push (as one discovery poll does). Times run from the
 * enqueue to the last result published, and to the last job archived.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { CoordClone } from '../src/coord/clone.ts';
import { readHistory } from '../src/coord/history.ts';
import type { JobDescriptor } from '../src/protocol/job.ts';
import { HISTORY_REFSPEC } from '../src/protocol/refs.ts';
import { allArchived, allResults, enqueue, noopJobs, refCounts, startFleet, waitFor } from './fleet.ts';
import { quantile } from './raw-push.ts';

export interface DrainTimes {
  workers: number;
  jobs: number;
  /** Enqueue to the last result, and to the last archive, in ms. */
  resultsMs: number;
  archivedMs: number;
  /** CPU seconds the whole machine spent from the enqueue to the last result (every process: daemons, git, servers). */
  cpuSec: number;
  /** That CPU time as a share of all cores over the same wall time: near 1, the drain is bound by CPU. */
  busy: number;
}

/** Busy and total CPU time of the machine so far, in clock ticks (the `cpu` line of /proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  // idle and iowait are the fourth and fifth fields.
  return { busy: total - fields[3]! - (fields[4] ?? 0), total };
}

/** How often the bench looks whether the drain is done: times are good to about this much. */
const LOOK_MS = 1000;

/** A configuration file beside the run: the defaults plus `pipelines`. */
function configFile(root: string, label: string, pipelines: Record<string, unknown>): string {
  const file = path.join(root, `${label}-config.json`);
  fs.writeFileSync(file, JSON.stringify({ sandbox: 'off', pipelines }));
  return file;
}

async function drain(root: string, bin: string, label: string, workers: number, jobs: JobDescriptor[], config?: string): Promise<DrainTimes> {
  const remote = path.join(root, `${label}.git`);
  await execa('node', [bin, 'init', remote]);
  const fleet = startFleet({ root, bin, coord: remote, workers, collector: true, label, config });
  try {
    // Every worker has announced itself (its first round is done) before the clock starts.
    await waitFor(`${workers} workers to start`, async () => (await refCounts(remote, ['refs/ci/workers/']))['refs/ci/workers/'] === workers, 300_000, 500);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const start = Date.now();
    const ticks = machineTicks();
    await enqueue(root, remote, label, jobs);
    // Looked at once a second: each look is a git process on the same two cores, and ten a second took a tenth of the machine from the fleet.
    await waitFor('every result', () => allResults(remote, jobs.length), 3_600_000, LOOK_MS);
    const resultsMs = Date.now() - start;
    const used = machineTicks();
    const busyTicks = used.busy - ticks.busy;
    await waitFor('every archive', () => allArchived(remote), 3_600_000, LOOK_MS);
    // Clock ticks are 1/100 s on Linux.
    return { workers, jobs: jobs.length, resultsMs, archivedMs: Date.now() - start, cpuSec: busyTicks / 100, busy: busyTicks / (used.total - ticks.total) };
  } finally {
    await fleet.stop();
  }
}

/** No-op jobs: what the coordination alone costs, with `workers` workers. */
export function drainNoops(root: string, bin: string, workers: number, count: number): Promise<DrainTimes> {
  return drain(root, bin, `noop-${workers}`, workers, noopJobs(count, `n${workers}`));
}

/** Jobs whose one step sleeps `seconds`: how close a fleet comes to the ideal of count × seconds / workers. */
export function drainSleeps(root: string, bin: string, workers: number, count: number, seconds: number): Promise<DrainTimes> {
  const config = configFile(root, `sleep-${workers}`, { sleep: { kind: 'steps', checkout: false, steps: [{ name: 'sleep', run: ['sleep', String(seconds)], timeoutSec: 600 }] } });
  return drain(root, bin, `sleep-${workers}`, workers, noopJobs(count, `s${workers}`, 'sleep'), config);
}

/** A small seeded generator (mulberry32): the same sleeps every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Each pull request's scan targets and the seconds each takes, seeded: most
 * pull requests touch one or two packages, a few many; a target takes 0.2 s
 * plus an exponential share with a mean of 0.8 s (cut at 4 s): pkgcheck's
 * spread, scaled down about twentyfold.
 */
export function standInSleeps(count: number, seed = 20261130): number[][] {
  const random = seeded(seed);
  return Array.from({ length: count }, () => {
    const r = random();
    const targets = r < 0.45 ? 1 : r < 0.75 ? 2 : r < 0.9 ? 3 : 4 + Math.floor(random() * 5);
    return Array.from({ length: targets }, () => Math.round(Math.min(4, 0.2 + -0.8 * Math.log(1 - random())) * 100) / 100);
  });
}

/** The ideal schedule of jobs taken in queue order by `workers` identical workers, all enqueued at 0: each job starts when the first worker is free. */
export function idealSchedule(durations: number[], workers: number): { makespan: number; waits: number[] } {
  const free = Array.from({ length: workers }, () => 0);
  const waits: number[] = [];
  for (const duration of durations) {
    let first = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[first]!) first = i;
    waits.push(free[first]!);
    free[first]! += duration;
  }
  return { makespan: Math.max(...free), waits };
}

export interface Throughput {
  jobs: number;
  workers: number;
  drainMs: number;
  idealMs: number;
  waits: { p50: number; p90: number; max: number };
  idealWaits: { p50: number; p90: number; max: number };
  cpuSec: number;
  busy: number;
}

/**
 * 300 pull requests (by default), 8 workers, a stand-in scan that sleeps a
 * seeded time per target: the drain time and each job's wait (enqueued to
 * started, from the archived summaries) against the ideal schedule computed
 * from the same sleeps.
 */
export async function throughput(root: string, bin: string, workers: number, count: number): Promise<Throughput> {
  const sleeps = standInSleeps(count);
  const jobs = noopJobs(count, 'tp', 'standin');
  const table = path.join(root, 'standin-sleeps.txt');
  fs.writeFileSync(table, jobs.map((job, i) => `${job.id} ${sleeps[i]!.join(' ')}\n`).join(''));
  const script = `for s in $(sed -n "s/^$1 //p" '${table}'); do sleep "$s"; done`;
  const config = configFile(root, 'throughput', { standin: { kind: 'steps', checkout: false, steps: [{ name: 'scan', run: ['sh', '-c', script, 'scan', '{jobId}'], timeoutSec: 600 }] } });
  const times = await drain(root, bin, 'throughput', workers, jobs, config);
  const durations = sleeps.map((targets) => targets.reduce((a, b) => a + b, 0) * 1000);
  const ideal = idealSchedule(durations, workers);
  // Waits from the history: when each job was enqueued and when its run started.
  const clone = await CoordClone.open(path.join(root, 'throughput-reader.git'), path.join(root, 'throughput.git'));
  await clone.fetch([HISTORY_REFSPEC]);
  const summaries = await readHistory(clone, count);
  const waits = summaries.filter((s) => s.enqueuedAt && s.startedAt).map((s) => Date.parse(s.startedAt!) - Date.parse(s.enqueuedAt!));
  const stats = (values: number[]) => ({ p50: quantile(values, 0.5), p90: quantile(values, 0.9), max: Math.max(...values) });
  return { jobs: count, workers, drainMs: times.resultsMs, idealMs: ideal.makespan, waits: stats(waits), idealWaits: stats(ideal.waits), cpuSec: times.cpuSec, busy: times.busy };
}

/**
 * What one no-op job costs the coordination, in daemon mode: one `refci work`
 * daemon and one `refci collect` daemon archiving as results land, every
 * process tracing its git processes and phases (REFCI_GIT_TRACE). Reports, per
 * job, the processes started (pushes, fetches, ls-remotes, all), and the wall
 * time of enqueue, claim, heartbeat, result and archive, summed as a ratio to
 * one raw push measured in the same run; and whether the cost stays flat from
 * the first jobs of the drain to the last.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { observeCoordination, traceToFile } from '../src/git/observe.ts';
import { allArchived, enqueue, noopJobs, refCounts, startFleet, waitFor } from './fleet.ts';
import { rawPushMs } from './raw-push.ts';
import { childrenCpuSec } from './git-daemon.ts';
import { startGitDaemon } from '../test/helpers/git-daemon.ts';
import { costByPhase, countOf, readTrace, type TraceLine } from './trace.ts';

export const PHASES = ['enqueue', 'claim', 'check', 'heartbeat', 'result', 'archive'] as const;

export interface JobCost {
  jobs: number;
  rawPushMs: number;
  /** Per job, by phase: wall ms, processes, and the wall ms of those processes by operation. */
  phases: Record<string, { ms: number; processes: number; processMs: Record<string, number> }>;
  perJob: { processes: number; pushes: number; fetches: number; lsRemotes: number; ms: number; ratio: number };
  /** Processes by operation, per job. */
  byOp: Record<string, number>;
  /** Wall time per published result over the first and the last tenth of the drain. */
  flat: { firstMs: number; lastMs: number };
  drainMs: number;
  startup: Record<string, number>;
}

export async function jobCost(root: string, bin: string, jobs: number): Promise<JobCost> {
  const remote = path.join(root, 'jobcost.git');
  await execa('node', [bin, 'init', remote]);
  const raw = await rawPushMs(root, remote, 'jobcost');
  const trace = path.join(root, 'jobcost-trace.jsonl');
  const fleet = startFleet({ root, bin, coord: remote, workers: 1, collector: true, trace, label: 'jobcost' });
  try {
    // Both daemons through their first round (clone, configuration, probes, presence): not a job's cost.
    await waitFor('the daemons to start', async () => {
      const lines = readTrace(trace);
      return lines.some((l) => l.role === 'collect' && l.phase === 'archive' && l.k === 'ph') && lines.some((l) => l.role === 'work' && l.phase === 'claim' && l.k === 'ph');
    }, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const startup = costByPhase(readTrace(trace));
    const from = Date.now();
    observeCoordination(traceToFile(trace, 'enqueue'));
    try {
      await enqueue(root, remote, 'jobcost', noopJobs(jobs, 'jc'));
    } finally {
      observeCoordination(undefined);
    }
    await waitFor('the drain', () => allArchived(remote), 3_600_000, 1000);
    const drainMs = Date.now() - from;
    const lines = readTrace(trace, from);
    return summarise(lines, jobs, raw, drainMs, startup);
  } finally {
    await fleet.stop();
    const left = await refCounts(remote, ['refs/ci/jobs/']);
    if (left['refs/ci/jobs/']) console.error(`jobcost: ${left['refs/ci/jobs/']} jobs left live`);
    if (process.env.BENCH_KEEP_TRACE) fs.copyFileSync(trace, process.env.BENCH_KEEP_TRACE);
    fs.rmSync(trace, { force: true });
  }
}

function summarise(lines: TraceLine[], jobs: number, raw: number, drainMs: number, startupPhases: Map<string, { processes: Record<string, number> }>): JobCost {
  const byPhase = costByPhase(lines);
  const phases: JobCost['phases'] = {};
  for (const phase of PHASES) {
    const cost = byPhase.get(phase);
    const processMs = Object.fromEntries(Object.entries(cost?.processMs ?? {}).map(([op, ms]) => [op, ms / jobs]));
    phases[phase] = { ms: (cost?.ms ?? 0) / jobs, processes: cost ? countOf(cost.processes) / jobs : 0, processMs };
  }
  const byOp: Record<string, number> = {};
  for (const line of lines.filter((l) => l.k === 'p')) byOp[line.op!] = (byOp[line.op!] ?? 0) + 1 / jobs;
  const processes = Object.values(byOp).reduce((a, b) => a + b, 0);
  const ms = PHASES.reduce((sum, phase) => sum + phases[phase]!.ms, 0);
  const results = lines.filter((l) => l.k === 'ph' && l.phase === 'result').map((l) => l.at).sort((a, b) => a - b);
  const tenth = Math.max(2, Math.floor(results.length / 10));
  const span = (slice: number[]) => (slice.length > 1 ? (slice[slice.length - 1]! - slice[0]!) / (slice.length - 1) : 0);
  const startup: Record<string, number> = {};
  for (const cost of startupPhases.values()) for (const [op, n] of Object.entries(cost.processes)) startup[op] = (startup[op] ?? 0) + n;
  return {
    jobs,
    rawPushMs: raw,
    phases,
    perJob: { processes, pushes: byOp.push ?? 0, fetches: byOp.fetch ?? 0, lsRemotes: byOp['ls-remote'] ?? 0, ms, ratio: ms / raw },
    byOp,
    flat: { firstMs: span(results.slice(0, tenth)), lastMs: span(results.slice(-tenth)) },
    drainMs,
    startup,
  };
}

export function describeJobCost(c: JobCost): string[] {
  const f = (n: number) => n.toFixed(2);
  const lines = [
    `job cost, ${c.jobs} no-op jobs, 1 worker daemon and a collector daemon: raw push ${c.rawPushMs.toFixed(1)} ms`,
    `  per job: ${f(c.perJob.processes)} processes (${f(c.perJob.pushes)} pushes, ${f(c.perJob.fetches)} fetches, ${f(c.perJob.lsRemotes)} ls-remotes); coordination ${c.perJob.ms.toFixed(1)} ms = ${f(c.perJob.ratio)}x the raw push`,
    `  by phase (ms per job, processes per job): ${PHASES.map((p) => `${p} ${c.phases[p]!.ms.toFixed(1)} ms/${f(c.phases[p]!.processes)}`).join(', ')}`,
    ...PHASES.filter((p) => c.phases[p]!.ms > 0).map(
      (p) =>
        `  ${p}: ${c.phases[p]!.ms.toFixed(1)} ms per job, of which processes ${Object.entries(c.phases[p]!.processMs)
          .map(([op, ms]) => `${op} ${ms.toFixed(1)}`)
          .join(', ')} ms`,
    ),
    `  by operation (per job): ${Object.entries(c.byOp).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${f(n)}`).join(', ')}`,
    `  drain ${(c.drainMs / 1000).toFixed(1)} s (${(c.drainMs / c.jobs).toFixed(1)} ms per job, ${f(c.drainMs / c.jobs / c.rawPushMs)}x the raw push); per result, first tenth ${c.flat.firstMs.toFixed(1)} ms, last tenth ${c.flat.lastMs.toFixed(1)} ms (${f(c.flat.lastMs / c.flat.firstMs)}x)`,
    `  start-up of the two daemons: ${Object.entries(c.startup).map(([op, n]) => `${op} ${n}`).join(', ')}`,
  ];
  return lines;
}

export interface ServerCost {
  jobs: number;
  workers: number;
  /** CPU of the server's processes (receive-pack, upload-pack and what they start), per raw push and per no-op job. */
  cpuPerRawPushMs: number;
  cpuPerJobMs: number;
  drainMs: number;
  /** Wall time of one raw push over git daemon (median), the yardstick of the drain's wall time per job. */
  rawPushMs: number;
}

/**
 * What the coordination repository's host spends, as a fleet of separate
 * hosts would see it: the same drain with the repository served by `git
 * daemon` (git://), and the CPU time of the daemon's children read before and
 * after, against the same for raw pushes.
 */
export async function serverCost(root: string, bin: string, jobs: number, workers = 1): Promise<ServerCost> {
  const base = path.join(root, `served-${workers}`);
  fs.mkdirSync(base, { recursive: true });
  const remote = path.join(base, 'coord.git');
  await execa('node', [bin, 'init', remote]);
  const daemon = await startGitDaemon(base);
  try {
    const url = daemon.url('coord.git');
    const samples = 20;
    let cpu = childrenCpuSec(daemon.pid);
    const rawPush = await rawPushMs(root, url, `served-${workers}`, samples, remote);
    const cpuPerRawPushMs = ((childrenCpuSec(daemon.pid) - cpu) * 1000) / samples;
    const fleet = startFleet({ root, bin, coord: url, workers, collector: true, label: `served-${workers}` });
    try {
      await waitFor('the workers to start', async () => (await refCounts(remote, ['refs/ci/workers/']))['refs/ci/workers/'] === workers, 300_000, 500);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      cpu = childrenCpuSec(daemon.pid);
      const start = Date.now();
      await enqueue(root, url, `served-${workers}`, noopJobs(jobs, `sv${workers}`));
      // Looked at once a second, like the drains: each look is a git process on the same cores.
      await waitFor('the drain', () => allArchived(remote), 3_600_000, 1000);
      const drainMs = Date.now() - start;
      // The idle polls go on while the fleet stops: read the time first.
      const cpuPerJobMs = ((childrenCpuSec(daemon.pid) - cpu) * 1000) / jobs;
      return { jobs, workers, cpuPerRawPushMs, cpuPerJobMs, drainMs, rawPushMs: rawPush };
    } finally {
      await fleet.stop();
    }
  } finally {
    await daemon.stop();
  }
}

export function describeServerCost(c: ServerCost): string[] {
  return [
    `served by git daemon (git://), ${c.jobs} no-op jobs, ${c.workers} worker(s) and a collector: server CPU per raw push ${c.cpuPerRawPushMs.toFixed(1)} ms, per job ${c.cpuPerJobMs.toFixed(1)} ms (${(c.cpuPerJobMs / c.cpuPerRawPushMs).toFixed(2)} raw pushes); drain ${(c.drainMs / 1000).toFixed(1)} s (${(c.drainMs / c.jobs).toFixed(1)} ms per job, ${(c.drainMs / c.jobs / c.rawPushMs).toFixed(2)}x a raw push over git daemon, ${c.rawPushMs.toFixed(1)} ms)`,
    `  one core of such a server: about ${(1000 / c.cpuPerRawPushMs).toFixed(0)} raw pushes/s, ${(1000 / c.cpuPerJobMs).toFixed(0)} no-op jobs/s`,
  ];
}

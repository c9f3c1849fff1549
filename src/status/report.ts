import type { DrainRecord } from '../protocol/drain.ts';
import type { PresenceRecord } from '../protocol/presence.ts';
import type { Summary } from '../protocol/history.ts';
import type { IgnoredRef } from '../protocol/refs.ts';
import { descriptorOf, lockOf, resultOf, stateOf, type JobState, type Snapshot } from '../protocol/snapshot.ts';
import { liveRows, table, type LiveRow } from './live-rows.ts';
import { claimOrder } from '../protocol/sweep.ts';
import { formatDuration } from '../protocol/duration.ts';

/**
 * Pure: everything `refci status` shows, from what the host fetched. Times
 * written by other hosts (enqueue, claim, last seen) are compared with this
 * host's clock only for display; nothing is decided on them.
 */
export interface StatusInput {
  snapshot: Snapshot;
  nowMs: number;
  presences: { worker: string; record?: PresenceRecord; problem?: string }[];
  drains: ReadonlyMap<string, DrainRecord | undefined>;
  /** Archived jobs, newest first. */
  history: Summary[];
  /** When the current attempt of each running job began (its claim or takeover commit). */
  attemptStarts: ReadonlyMap<string, number>;
  configCommit?: string;
  windowHours?: number;
  /** Refs under refs/ci/ that every host ignores (bad id, not a commit). */
  ignoredRefs?: IgnoredRef[];
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface QueueRow {
  id: string;
  pipeline?: string;
  pr?: number;
  priority: number;
  createdAt: string;
  waitingSec?: number;
  /** Why it may wait long: no worker offers its pipeline now. */
  note?: string;
}

export interface RunningRow {
  id: string;
  state: JobState;
  pipeline?: string;
  pr?: number;
  worker?: string;
  attempt?: number;
  elapsedSec?: number;
}

export interface FailedRow {
  id: string;
  status: string;
  pipeline?: string;
  pr?: number;
  worker?: string;
  at?: string;
  reason: string;
  /** false: a live result the collector has not archived yet. */
  archived: boolean;
}

export interface WorkerRow {
  id: string;
  state: string;
  host?: string;
  kind?: string;
  job?: string;
  pipelines: string[];
  blocked: Record<string, string>;
  tools: Record<string, string>;
  lastSeen?: string;
  lastSeenSec?: number;
  drained: boolean;
  drainReason?: string;
  configCommit?: string;
  problem?: string;
}

export interface StatusReport {
  at: string;
  configCommit: string | null;
  counts: Record<JobState, number>;
  /** Every live job, as `refci status` always listed them. */
  jobs: LiveRow[];
  queue: QueueRow[];
  running: RunningRow[];
  failed: FailedRow[];
  workers: WorkerRow[];
  times: { windowHours: number; archived: number; queueWaitSec: Percentiles | null; runSec: Percentiles | null };
  /** Finished jobs waiting for the collector to publish them on their forge, by forge (`github:owner/name`). */
  unpublished: UnpublishedRow[];
  /** Refs under refs/ci/ that every host ignores, each with why; delete them by hand. */
  ignoredRefs: IgnoredRef[];
}

export interface UnpublishedRow {
  forge: string;
  jobs: number;
  /** How long the oldest has waited since it finished. */
  oldestSec: number;
}

/** A collector archives a finished job within a round or two; longer means it cannot publish it. */
export const UNPUBLISHED_WARN_SEC = 300;

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/** Nearest-rank percentiles; null for no values. */
export function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.length - 1] };
}

/** `git version 2.39.5` -> `2.39.5`: the first thing that looks like a version, else the line. */
export function shortVersion(line: string): string {
  return /\d+(\.\d+)+[^\s,;)]*/.exec(line)?.[0] ?? line;
}

export function buildStatus(input: StatusInput): StatusReport {
  const { nowMs } = input;
  const windowHours = input.windowHours ?? 24;
  const { rows, counts } = liveRows(input.snapshot, nowMs);
  const workers = workerRows(input);
  const offered = new Set(workers.filter((w) => !w.drained && w.state !== 'stopped').flatMap((w) => w.pipelines));
  const queue: QueueRow[] = [];
  const running: RunningRow[] = [];
  const failed: FailedRow[] = [];
  for (const live of input.snapshot.values()) {
    const state = stateOf(live);
    const job = descriptorOf(live);
    if (state === 'queued' && job) {
      let note: string | undefined;
      if (!offered.has(job.pipeline)) {
        const blockers = workers.filter((w) => w.blocked[job.pipeline]).map((w) => `${w.id}: ${w.blocked[job.pipeline]}`);
        note = blockers.length ? `no worker can run ${job.pipeline} now (${blockers.join('; ')})` : `no worker offers ${job.pipeline} now`;
      }
      queue.push({ id: live.id, pipeline: job.pipeline, pr: job.pr, priority: job.priority, waitingSec: seconds(nowMs - Date.parse(job.createdAt)), note, createdAt: job.createdAt });
    } else if (state === 'running' || state === 'cancelling') {
      const lock = lockOf(live);
      const started = input.attemptStarts.get(live.id);
      running.push({
        id: live.id,
        state,
        pipeline: job?.pipeline,
        pr: job?.pr,
        worker: lock?.worker,
        attempt: lock?.attempt,
        elapsedSec: started === undefined ? undefined : seconds(nowMs - started),
      });
    } else if (state === 'finished') {
      const result = resultOf(live);
      if (result && (result.status === 'failure' || result.status === 'error')) {
        failed.push({ id: live.id, status: result.status, pipeline: job?.pipeline, pr: job?.pr, worker: result.worker, at: result.finishedAt, reason: result.reason, archived: false });
      }
    }
  }
  queue.sort(claimOrder);
  const unpublished = new Map<string, UnpublishedRow>();
  for (const live of input.snapshot.values()) {
    const state = stateOf(live);
    const job = descriptorOf(live);
    if ((state !== 'finished' && state !== 'cancelled') || !job?.forge) continue;
    const since = Date.parse(resultOf(live)?.finishedAt ?? job.createdAt);
    const row = unpublished.get(job.forge) ?? { forge: job.forge, jobs: 0, oldestSec: 0 };
    row.jobs += 1;
    row.oldestSec = Math.max(row.oldestSec, Number.isFinite(since) ? seconds(nowMs - since) : 0);
    unpublished.set(job.forge, row);
  }
  running.sort((a, b) => (b.elapsedSec ?? 0) - (a.elapsedSec ?? 0) || a.id.localeCompare(b.id));

  const since = nowMs - windowHours * 3600_000;
  const recent = input.history.filter((s) => Date.parse(s.archivedAt) >= since);
  for (const s of recent) {
    if (s.verdict === 'failure' || s.verdict === 'error') {
      failed.push({ id: s.job, status: s.verdict, pipeline: s.pipeline, pr: s.pr, worker: s.worker, at: s.finishedAt ?? s.archivedAt, reason: s.reason, archived: true });
    }
  }
  failed.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? '') || a.id.localeCompare(b.id));
  const waits: number[] = [];
  const runs: number[] = [];
  for (const s of recent) {
    const enqueued = s.enqueuedAt ? Date.parse(s.enqueuedAt) : NaN;
    const started = s.startedAt ? Date.parse(s.startedAt) : NaN;
    const finished = s.finishedAt ? Date.parse(s.finishedAt) : NaN;
    if (Number.isFinite(enqueued) && Number.isFinite(started)) waits.push(seconds(started - enqueued));
    if (Number.isFinite(started) && Number.isFinite(finished) && s.verdict !== 'cancelled') runs.push(seconds(finished - started));
  }
  return {
    at: new Date(nowMs).toISOString(),
    configCommit: input.configCommit ?? null,
    counts,
    jobs: rows,
    queue,
    running,
    failed,
    workers,
    times: { windowHours, archived: recent.length, queueWaitSec: percentiles(waits), runSec: percentiles(runs) },
    unpublished: [...unpublished.values()].sort((a, b) => a.forge.localeCompare(b.forge)),
    ignoredRefs: input.ignoredRefs ?? [],
  };
}

/** Which job each worker holds a live lock on: fresher than presence, which is pushed only every few minutes. */
function jobsByWorker(snapshot: Snapshot): Map<string, string> {
  const held = new Map<string, string>();
  for (const live of snapshot.values()) {
    const state = stateOf(live);
    const lock = lockOf(live);
    if (lock && (state === 'running' || state === 'cancelling')) held.set(lock.worker, live.id);
  }
  return held;
}

function workerRows(input: StatusInput): WorkerRow[] {
  const rows = new Map<string, WorkerRow>();
  const held = jobsByWorker(input.snapshot);
  for (const { worker, record, problem } of input.presences) {
    const drain = input.drains.get(worker);
    const drained = input.drains.has(worker);
    if (!record) {
      rows.set(worker, { id: worker, state: drained ? 'drained' : 'unknown', pipelines: [], blocked: {}, tools: {}, drained, drainReason: drain?.reason, problem });
      continue;
    }
    // A drain requested after the worker last spoke shows at once; the worker confirms it on its next round.
    const job = held.get(worker);
    const own = record.state === 'running' || record.state === 'idle' ? (job ? 'running' : 'idle') : record.state;
    const state = drained && own !== 'running' ? 'drained' : drained ? 'running, draining' : own;
    rows.set(worker, {
      id: worker,
      state,
      host: record.host,
      kind: record.kind,
      job,
      pipelines: record.pipelines,
      blocked: record.blocked,
      tools: record.tools,
      lastSeen: record.at,
      lastSeenSec: seconds(input.nowMs - Date.parse(record.at)),
      drained,
      drainReason: drain?.reason,
      configCommit: record.configCommit,
    });
  }
  for (const [worker, drain] of input.drains) {
    if (!rows.has(worker)) rows.set(worker, { id: worker, state: 'drained', pipelines: [], blocked: {}, tools: {}, drained: true, drainReason: drain?.reason });
  }
  return [...rows.values()].sort((a, b) => a.id.localeCompare(b.id));
}

const pr = (n: number | undefined) => (n ? `#${n}` : '-');

function timesLine(label: string, p: Percentiles | null): string {
  if (!p) return `${label} -`;
  return `${label} p50 ${formatDuration(p.p50)}, p90 ${formatDuration(p.p90)}, p99 ${formatDuration(p.p99)}, max ${formatDuration(p.max)}`;
}

/** The report as plain text tables. */
export function renderStatus(report: StatusReport): string[] {
  const out: string[] = [];
  out.push(`configuration: ${report.configCommit ? `${report.configCommit.slice(0, 12)} (refs/heads/config)` : 'built-in defaults (no refs/heads/config)'}`);
  const countLine = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  out.push(`jobs: ${countLine || 'none'}`);
  // Once per status, never by the hosts that skip them: a person deletes these refs by hand.
  for (const { ref, reason } of report.ignoredRefs) out.push(`ignored ref ${ref}: ${reason}; every host skips it (delete it: git push <coord> :${ref})`);
  const section = (title: string, header: string[], cells: string[][]) => {
    if (cells.length === 0) return;
    out.push('', title, ...table(header, cells));
  };
  section(
    'QUEUED',
    ['JOB', 'PIPELINE', 'PR', 'PRIORITY', 'WAITING', 'NOTE'],
    report.queue.map((q) => [q.id, q.pipeline ?? '-', pr(q.pr), String(q.priority ?? 0), formatDuration(q.waitingSec), q.note ?? '']),
  );
  section(
    'RUNNING',
    ['JOB', 'PIPELINE', 'PR', 'WORKER', 'ATTEMPT', 'ELAPSED', 'STATE'],
    report.running.map((r) => [r.id, r.pipeline ?? '-', pr(r.pr), r.worker ?? '-', r.attempt ? String(r.attempt) : '-', formatDuration(r.elapsedSec), r.state]),
  );
  section(
    `FAILED (live, and archived in the last ${report.times.windowHours}h)`,
    ['JOB', 'STATUS', 'PIPELINE', 'PR', 'WORKER', 'FINISHED', 'REASON'],
    report.failed.map((f) => [f.id, f.archived ? f.status : `${f.status} (live)`, f.pipeline ?? '-', pr(f.pr), f.worker ?? '-', f.at ?? '-', f.reason]),
  );
  const shown = new Set([...report.queue.map((q) => q.id), ...report.running.map((r) => r.id), ...report.failed.filter((f) => !f.archived).map((f) => f.id)]);
  section(
    'OTHER LIVE JOBS (waiting for the collector)',
    ['JOB', 'STATE', 'PIPELINE', 'PR', 'HOLDER', 'AGE', 'REASON'],
    report.jobs.filter((j) => !shown.has(j.id)).map((j) => [j.id, j.state, j.pipeline ?? '-', pr(j.pr), j.holder ?? '-', formatDuration(j.ageSec), j.reason ?? '']),
  );
  for (const u of report.unpublished) {
    if (u.oldestSec < UNPUBLISHED_WARN_SEC) continue;
    const kind = u.forge.split(':')[0];
    out.push(
      '',
      `unpublished: ${u.jobs} finished job(s) of ${u.forge} wait for the collector (oldest ${formatDuration(u.oldestSec)}); ` +
        `run refci collect on the main host with a ${kind} token (${kind === 'github' ? 'GITHUB_TOKEN' : 'CODEBERG_TOKEN'} or ~/.config/refci/${kind}-token); its log says what is missing`,
    );
  }
  if (report.workers.length === 0) out.push('', 'workers: none has announced itself yet');
  section(
    'WORKERS',
    ['WORKER', 'STATE', 'HOST', 'JOB', 'PIPELINES', 'TOOLS', 'LAST SEEN'],
    report.workers.map((w) => [
      w.id,
      w.state,
      w.host ?? '-',
      w.job ?? '-',
      w.pipelines.join(',') || '-',
      Object.entries(w.tools)
        .map(([tool, version]) => `${tool} ${shortVersion(version)}`)
        .join(', ') || '-',
      w.lastSeenSec === undefined ? '-' : `${formatDuration(w.lastSeenSec)} ago`,
    ]),
  );
  for (const w of report.workers) {
    for (const [pipeline, why] of Object.entries(w.blocked)) out.push(`  ${w.id} cannot run ${pipeline}: ${why}`);
    if (w.drained && w.drainReason) out.push(`  ${w.id} drained: ${w.drainReason}`);
    if (w.problem) out.push(`  ${w.id}: presence unreadable: ${w.problem}`);
  }
  const t = report.times;
  out.push('', `LAST ${t.windowHours}H: ${t.archived} job(s) archived; ${timesLine('queue wait', t.queueWaitSec)}; ${timesLine('run time', t.runSec)}`);
  return out;
}

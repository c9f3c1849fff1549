import { countByState, descriptorOf, lockOf, resultOf, stateOf, type JobState, type Snapshot } from '../protocol/snapshot.ts';

export interface LiveRow {
  id: string;
  state: JobState;
  pipeline?: string;
  pr?: number;
  head?: string;
  priority?: number;
  holder?: string;
  attempt?: number;
  ageSec?: number;
  /** Why a job is set aside, failed or cancelled. */
  reason?: string;
}

/** Pure: the rows `refci status` shows, oldest first. Ages use the enqueuer's timestamps and are for reading only. */
export function liveRows(snapshot: Snapshot, nowMs: number): { rows: LiveRow[]; counts: Record<JobState, number> } {
  const rows: LiveRow[] = [];
  for (const live of snapshot.values()) {
    const job = descriptorOf(live);
    const lock = lockOf(live);
    const result = resultOf(live);
    const state = stateOf(live);
    let reason: string | undefined;
    if (live.job && !live.job.record.ok) reason = live.job.record.reason;
    else if (result) reason = `${result.status}: ${result.reason}`;
    else if (live.cancel?.record.ok) reason = live.cancel.record.value.reason;
    else if (live.lock && !live.lock.record.ok) reason = `lock unreadable: ${live.lock.record.reason}`;
    rows.push({
      id: live.id,
      state,
      pipeline: job?.pipeline,
      pr: job?.pr,
      head: job?.head.slice(0, 12),
      priority: job?.priority,
      holder: lock?.worker ?? result?.worker,
      attempt: lock?.attempt ?? result?.attempt,
      ageSec: job ? Math.max(0, Math.round((nowMs - Date.parse(job.createdAt)) / 1000)) : undefined,
      reason,
    });
  }
  rows.sort((a, b) => (b.ageSec ?? 0) - (a.ageSec ?? 0) || a.id.localeCompare(b.id));
  return { rows, counts: countByState(snapshot) };
}

/** A plain text table: columns padded, nothing but spaces, safe for any terminal or mail. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

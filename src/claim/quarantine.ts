import { loadStateFile, saveStateFile } from '../coord/state-file.ts';

/**
 * A worker whose jobs keep failing because of the host (a tool that crashes,
 * a full disk, a sandbox that will not start) hands each back unjudged; if it
 * went on claiming it would spend every job's attempts. After
 * `quarantineAfter` such jobs in a row it drains itself (refs/ci/drain/<id>,
 * with the reasons), and an operator brings it back with `refci worker
 * undrain` once the host is fixed. The streak lives in the state folder, so
 * cron-driven runs count together; any job that ends on its own merits
 * (whatever its verdict) ends the streak.
 */
export interface InfrastructureStreak {
  count: number;
  /** The latest reasons, newest last, a few at most. */
  reasons: string[];
}

const FILE = 'infrastructure-streak.json';
const KEPT_REASONS = 3;

export function readStreak(stateDir: string): InfrastructureStreak {
  const streak = loadStateFile<InfrastructureStreak>(stateDir, FILE, () => ({ count: 0, reasons: [] }));
  return typeof streak?.count === 'number' && Array.isArray(streak.reasons) ? streak : { count: 0, reasons: [] };
}

/** Counts a job's end: `infrastructure` is the host's problem, undefined a job that ran to a verdict. */
export function noteJobEnd(stateDir: string, infrastructure: string | undefined): InfrastructureStreak {
  const before = readStreak(stateDir);
  const after = infrastructure === undefined ? { count: 0, reasons: [] } : { count: before.count + 1, reasons: [...before.reasons, infrastructure].slice(-KEPT_REASONS) };
  if (after.count !== before.count) saveStateFile(stateDir, FILE, after);
  return after;
}

/** The drain reason once the streak reaches the limit (0: never). */
export function quarantineReason(streak: InfrastructureStreak, after: number): string | undefined {
  if (after <= 0 || streak.count < after) return undefined;
  return `quarantined: the last ${streak.count} jobs failed on this host, not because of their pull requests: ${streak.reasons.at(-1) ?? 'no reason recorded'}`;
}

export function clearStreak(stateDir: string): void {
  saveStateFile(stateDir, FILE, { count: 0, reasons: [] });
}

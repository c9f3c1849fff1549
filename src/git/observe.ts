import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * Counting what coordination costs: every git process the runner starts (and
 * the few other host probes that start one) is reported to an observer with
 * its operation, wall time and the phase of the job it served (claim, result,
 * archive...). Off unless an observer is installed; then the only cost on the
 * hot path is one check for `undefined`. `npm run bench` installs one through
 * REFCI_GIT_TRACE (a file every process of a run appends JSON lines to).
 */
export interface ProcessNote {
  /** The git subcommand (`push`, `fetch`, `ls-remote`, `cat-file`...) or the program of a host probe. */
  op: string;
  ms: number;
  phase?: string;
}

export interface PhaseNote {
  phase: string;
  ms: number;
  /** Jobs the phase handled (an archive batch holds many); 1 when not said. */
  jobs: number;
}

export interface CoordObserver {
  process(note: ProcessNote): void;
  phase(note: PhaseNote): void;
}

let observer: CoordObserver | undefined;
const phases = new AsyncLocalStorage<string>();

/** Installs (or, with undefined, removes) the observer of this process. */
export function observeCoordination(next: CoordObserver | undefined): void {
  observer = next;
}

export function observing(): boolean {
  return observer !== undefined;
}

/** Reports a process that ran `ms` (the runner's git calls and host probes). */
export function noteProcess(op: string, ms: number): void {
  observer?.process({ op, ms, phase: phases.getStore() });
}

/**
 * Runs `work` as one phase of a job's coordination: processes started inside
 * it carry the phase's name, and its wall time is reported with `jobs` (or
 * what `count` makes of its answer). Without an observer it only calls `work`.
 */
export async function inPhase<T>(phase: string, work: () => Promise<T>, count?: (answer: T) => number): Promise<T> {
  if (!observer) return work();
  const start = performance.now();
  const answer = await phases.run(phase, work);
  observer?.phase({ phase, ms: performance.now() - start, jobs: count ? count(answer) : 1 });
  return answer;
}

/** The moment to start timing a process, or 0 when nobody observes (no clock read). */
export function processStart(): number {
  return observer ? performance.now() : 0;
}

export function processEnd(op: string, start: number): void {
  if (observer) noteProcess(op, performance.now() - start);
}

/**
 * An observer that appends one JSON line per process and phase to `file`:
 * `{"k":"p","op":"push","ms":51.2,"phase":"claim","role":"worker"}` and
 * `{"k":"ph","phase":"claim","ms":80.1,"jobs":1,"role":"worker"}`. Lines are
 * short and appended, so several processes can share the file.
 */
export function traceToFile(file: string, role: string): CoordObserver {
  const write = (value: object) => fs.appendFileSync(file, `${JSON.stringify({ ...value, role, pid: process.pid, at: Date.now() })}\n`);
  return {
    process: (note) => write({ k: 'p', ...note }),
    phase: (note) => write({ k: 'ph', ...note }),
  };
}

import type { FleetConfig } from '../config/types.ts';
import type { JobDescriptor } from './job.ts';
import type { ResultRecord } from './result.ts';

/**
 * The contract between the stage that holds a job's lease (claim) and the
 * stage that runs it (run): what the runner is given and what it returns.
 * Neither stage imports the other; the command that starts a worker joins them.
 */
export interface JobRun {
  job: JobDescriptor;
  /** The configuration in force on this worker for this run. */
  config: FleetConfig;
  /** The `refs/heads/config` commit `config` came from; absent for a local configuration file or the built-in defaults. */
  configCommit?: string;
  worker: string;
  attempt: number;
  /** Tool versions this worker reported when it claimed. */
  tools: Record<string, string>;
  /** Fires on cancel, lost lease, timeout or shutdown; `abortReason` says which. */
  signal: AbortSignal;
  abortReason: () => string;
  /** How a run the signal stopped ends: `error` when the job's own timeout fired, `cancelled` otherwise (cancel, lost lease, shutdown). */
  abortStatus?: () => 'cancelled' | 'error';
  now: () => number;
  /** Receives each step's log as it is written (scrubbed), for the live log the holder's heartbeats carry; absent when nobody watches. */
  output?: StepOutput;
}

/**
 * A running job's output, step by step: the run stage writes, the claim
 * stage reads it at each heartbeat (protocol/live-log.ts). `step` is the name
 * the step's log has in the result (`logs/<step>.log`).
 */
export interface StepOutput {
  write(step: string, chunk: Uint8Array): void;
  end(step: string): void;
}

/** Files stored beside the result record in the result commit (logs, scan outputs). */
export type Artifacts = Record<string, string | Uint8Array>;

export interface JobRunOutcome {
  result: ResultRecord;
  artifacts: Artifacts;
  /**
   * Set when the run failed because of this host (a tool or the sandbox
   * could not start), never because of the job: the worker hands the job
   * back with this reason instead of publishing `result`.
   */
  infrastructure?: string;
}

/** Runs a job; never throws for the job's own failure (that is a result). */
export type JobRunner = (run: JobRun) => Promise<JobRunOutcome>;

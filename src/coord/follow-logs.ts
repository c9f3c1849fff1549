import { RefciError } from '../errors.ts';
import { HISTORY_REFSPEC, jobRefspecs } from '../protocol/refs.ts';
import type { CoordClone } from './clone.ts';
import { readJobLogState, type EndedJobLogs, type JobLogState, type OpenJobLogs } from './job-logs.ts';

/** Where a followed job's logs go as they come (the CLI prints them). */
export interface JobLogView {
  /** Each look at a job that has not ended: queued, cancelled or running. */
  update(state: OpenJobLogs): void;
  /** The job ended (a result, or archived without one): the last thing shown. */
  end(state: EndedJobLogs): void;
}

export interface FollowOptions {
  clone: CoordClone;
  id: string;
  view: JobLogView;
  /** Sleeps up to `ms` (less when the coordination repository changes or the command is stopped); the clock of this loop. */
  wait: (ms: number) => Promise<void>;
  stop?: AbortSignal;
  /** Between looks: `min` after a change, doubling to `max` while nothing changes. */
  pollMs?: { min: number; max: number };
  /** A fetch that failed after the first, which the loop survives (a follow outlives a network hiccup). */
  warn?: (line: string) => void;
}

/**
 * Follows one job until it ends: fetches only its refs, shows what its lock
 * chain's newest heartbeat carries, and when the job has a result (or was
 * archived while nobody looked) shows that and returns. The history is
 * fetched only once the job's live refs are gone. Returns `stopped` when
 * `stop` fired first.
 */
export async function followJobLogs(options: FollowOptions): Promise<'ended' | 'stopped'> {
  const { clone, id } = options;
  const poll = options.pollMs ?? { min: 1000, max: 10_000 };
  let delay = poll.min;
  let seen = false;
  let lastLook = '';
  for (;;) {
    let state: JobLogState;
    try {
      state = await lookAt(clone, id);
    } catch (error) {
      if (!seen || options.stop?.aborted) throw error;
      options.warn?.(`could not fetch job ${id}, trying again: ${(error as Error).message}`);
      await options.wait(poll.max);
      continue;
    }
    if (state.state === 'unknown') {
      throw seen
        ? new RefciError('not-found', `job ${id} is gone from the coordination repository without being archived`, 'someone deleted its refs by hand; refci status shows the live jobs')
        : new RefciError('not-found', `no job ${id} in the coordination repository: not queued, running or archived`, 'refci status and refci log list the jobs');
    }
    if (state.state === 'finished' || state.state === 'archived' || state.state === 'cancelled') {
      options.view.end(state);
      return 'ended';
    }
    seen = true;
    options.view.update(state);
    const look = state.state === 'running' ? state.live.lockOid : state.state;
    delay = look !== lastLook ? poll.min : Math.min(poll.max, delay * 2);
    lastLook = look;
    if (options.stop?.aborted) return 'stopped';
    await options.wait(delay);
    if (options.stop?.aborted) return 'stopped';
  }
}

/** One job's state after fetching only its live refs, and the history only when they are gone. */
async function lookAt(clone: CoordClone, id: string): Promise<JobLogState> {
  await clone.fetch(jobRefspecs(id));
  const live = await readJobLogState(clone, id, { history: false });
  if (live.state !== 'unknown') return live;
  await clone.fetch([HISTORY_REFSPEC]);
  return readJobLogState(clone, id, { history: true });
}

import { isoOf, type Clock } from '../host/clock.ts';
import type { Io } from './command.ts';

/**
 * SIGTERM and SIGINT stop a daemon between jobs, or hand its running job back.
 * A command run in process (tests) is given its own stop signal in its Io
 * instead: signals belong to the process, not to one of several commands in it.
 */
export function stopOnSignals(io: Pick<Io, 'stop'>): { signal: AbortSignal; dispose: () => void } {
  if (io.stop) return { signal: io.stop, dispose: () => {} };
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    },
  };
}

/** Plain lines with the time and who speaks: what cron mails and journald keeps. */
export function lineLogger(io: Io, clock: Clock, who: string): (line: string) => void {
  return (line) => io.out(`${isoOf(clock.now())} ${who} ${line}`);
}

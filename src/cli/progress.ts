import type { Clock } from '../host/clock.ts';
import type { JobDescriptor } from '../protocol/job.ts';
import type { StepProgress } from '../run/pipeline.ts';
import { formatDuration } from '../protocol/duration.ts';
import type { Io } from './command.ts';

export interface ProgressDisplay {
  onStep: (job: JobDescriptor, event: StepProgress) => void;
  /** A log line that keeps the progress line below it. */
  log: (line: string) => void;
  dispose: () => void;
}

/**
 * Long work, shown two ways. On a terminal: one line, redrawn every second,
 * with the job, the step and the time so far. Otherwise (cron mail, journald):
 * a plain line as each step starts and ends.
 */
export function progressDisplay(io: Io, clock: Clock, log: (line: string) => void, write: (text: string) => void = (t) => process.stdout.write(t)): ProgressDisplay {
  if (!io.isTTY) {
    return {
      log,
      dispose: () => {},
      onStep: (job, event) => {
        const where = event.index > 0 ? ` (step ${event.index} of ${event.total})` : '';
        if (event.phase === 'start') log(`${job.id}: ${event.step} started${where}`);
        else {
          const exit = event.exitCode === undefined ? '' : event.exitCode === null ? ', killed' : `, exit ${event.exitCode}`;
          log(`${job.id}: ${event.step} ended after ${formatDuration((event.durationMs ?? 0) / 1000)}${exit}`);
        }
      },
    };
  }
  let current: { text: string; since: number } | undefined;
  let shown = false;
  const draw = () => {
    if (!current) return;
    write(`\r\x1b[K${current.text} ${formatDuration((clock.now() - current.since) / 1000)}`);
    shown = true;
  };
  const clear = () => {
    if (shown) write('\r\x1b[K');
    shown = false;
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  return {
    log: (line) => {
      clear();
      log(line);
      draw();
    },
    onStep: (job, event) => {
      if (event.phase === 'end') {
        current = undefined;
        clear();
        return;
      }
      const where = event.index > 0 ? ` (${event.index}/${event.total})` : '';
      current = { text: `${job.id}: ${event.step}${where}`, since: clock.now() };
      draw();
    },
    dispose: () => {
      clearInterval(timer);
      clear();
    },
  };
}

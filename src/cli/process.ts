import os from 'node:os';
import { isogit } from '../git/objects.ts';
import { loadExeca } from '../git/ssh-signature.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import type { Io } from './command.ts';

/**
 * SIGTERM and SIGINT stop a daemon: the first fires the returned signal (the
 * worker hands its running job back, the collector ends after its current
 * push); a second one exits at once, with the shell's code for the signal
 * (128 + its number), for an operator who will not wait. A command run in
 * process (tests) is given its own stop signal in its Io instead: signals
 * belong to the process, not to one of several commands in it.
 */
export function stopOnSignals(io: Pick<Io, 'stop'>, log?: (line: string) => void): { signal: AbortSignal; dispose: () => void } {
  if (io.stop) return { signal: io.stop, dispose: () => {} };
  const controller = new AbortController();
  const stop = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log?.(`${name} again: exiting now`);
      process.exit(128 + os.constants.signals[name]);
    }
    log?.(`${name}: stopping (a second signal exits at once)`);
    controller.abort();
  };
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

/**
 * Loads now what a short command loads only on first use (isomorphic-git,
 * execa for ssh-keygen; src/host/load-later.ts): a daemon runs for weeks,
 * and an upgrade that replaces dist/ under it would leave a later import
 * nothing to load. A `--once` run from cron ends long before that.
 */
export async function loadDeferredModules(): Promise<void> {
  await Promise.all([isogit(), loadExeca()]);
}

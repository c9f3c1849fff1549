import { followJobLogs } from '../../coord/follow-logs.ts';
import { readJobLogState } from '../../coord/job-logs.ts';
import { waitForWork } from '../../coord/wait.ts';
import { RefciError } from '../../errors.ts';
import { isValidJobId } from '../../protocol/ids.ts';
import { HISTORY_REFSPEC, jobRefspecs } from '../../protocol/refs.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { LogPrinter } from '../log-printer.ts';

export const logsCommand: Command = {
  usage: 'refci logs --coord URL <job> [--follow] [--step NAME]',
  help: [
    ...coordHelp,
    '<job>               the job id (refci status and refci log list them)',
    '--follow            keep fetching a queued or running job and print its output as its heartbeats carry it, until it ends',
    '--step NAME         only this step\'s log',
  ],
  options: { ...coordOptions, step: { type: 'string' }, follow: { type: 'boolean', short: 'f' } },
  async run(flags, positionals, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new RefciError('usage', 'name one job', 'run refci logs --coord URL <job>');
    if (!isValidJobId(id)) throw new RefciError('usage', `${JSON.stringify(id)} is not a job id`, 'refci status and refci log list the jobs');
    const context = hostContext(flags, io, 'logs', 'status');
    const clone = await openClone(context);
    const step = typeof flags.step === 'string' ? flags.step : undefined;
    const printer = new LogPrinter(id, io.out, { step, follow: flags.follow === true });
    if (flags.follow === true) {
      // Interrupting a follow is the normal way to leave it early; a process without an Io stop signal just exits on SIGINT.
      await followJobLogs({
        clone,
        id,
        view: printer,
        wait: (ms) => waitForWork(context.coord, ms, io.stop),
        stop: io.stop,
        warn: (line) => io.err(`refci logs: ${line}`),
      });
      return EXIT_CODES.ok;
    }
    await clone.fetch([...jobRefspecs(id), HISTORY_REFSPEC]);
    const state = await readJobLogState(clone, id, { history: true });
    if (state.state === 'unknown') {
      throw new RefciError('not-found', `no job ${id} in the coordination repository: not queued, running or archived`, 'refci status and refci log list the jobs');
    }
    if (state.state === 'queued' || state.state === 'running') printer.update(state);
    else printer.end(state);
    return EXIT_CODES.ok;
  },
};

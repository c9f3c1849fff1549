import { readJobLogs } from '../../coord/job-logs.ts';
import { RefciError } from '../../errors.ts';
import { formatDuration } from '../../protocol/duration.ts';
import { isValidJobId } from '../../protocol/ids.ts';
import { liveRefspecs } from '../../protocol/refs.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

export const logsCommand: Command = {
  usage: 'refci logs --coord URL <job> [--step NAME]',
  help: [...coordHelp, '<job>               the job id (refci status and refci log list them)', '--step NAME         only this step\'s log'],
  options: { ...coordOptions, step: { type: 'string' } },
  async run(flags, positionals, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new RefciError('usage', 'name one job', 'run refci logs --coord URL <job>');
    if (!isValidJobId(id)) throw new RefciError('usage', `${JSON.stringify(id)} is not a job id`, 'refci status and refci log list the jobs');
    const context = hostContext(flags, io, 'logs', 'status');
    const clone = await openClone(context);
    await clone.fetch(liveRefspecs({ history: true }));
    const logs = await readJobLogs(clone, id);
    if (!logs) throw new RefciError('not-found', `job ${id} has no result yet, or no such job`, 'refci status shows queued and running jobs');
    const wanted = typeof flags.step === 'string' ? flags.step : undefined;
    const steps = wanted ? logs.steps.filter((step) => step.name === wanted) : logs.steps;
    if (wanted && steps.length === 0) {
      throw new RefciError('not-found', `job ${id} has no step ${wanted}`, `its steps: ${logs.steps.map((step) => step.name).join(', ') || 'none'}`);
    }
    io.out(`${id}: ${logs.result.status}: ${logs.result.reason} (${logs.source === 'live' ? 'not archived yet' : 'archived'})`);
    for (const step of steps) {
      const ended = step.timedOut ? 'timed out' : `exit ${step.exitCode ?? '-'}`;
      io.out(`== ${step.name} (${ended}, ${formatDuration(step.durationMs / 1000)}) ==`);
      io.out(step.log === undefined ? '(no log kept)' : step.log.replace(/\n$/, ''));
    }
    return 0;
  },
};

import { retryJob } from '../../enqueue/retry.ts';
import { RefciError } from '../../errors.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

export const retryCommand: Command = {
  usage: 'refci retry --coord URL [--json] <job>...',
  help: [...coordHelp, '--json              print the new jobs as JSON', '<job>               a job id from refci status or refci log'],
  options: { ...coordOptions, json: { type: 'boolean' } },
  async run(flags, positionals, io) {
    if (positionals.length === 0) throw new RefciError('usage', 'no job id given', 'refci log lists finished jobs, refci status live ones');
    const context = hostContext(flags, io, 'retry', 'enqueue');
    const clone = await openClone(context);
    const done = [];
    for (const id of positionals) {
      const { job, from, plan } = await retryJob({ clone, clock: context.clock, by: context.id }, id);
      done.push({ id: job.id, retryOf: id, from, created: plan.create.length > 0, cancelled: plan.cancel.map((c) => c.job) });
      if (flags.json) continue;
      if (plan.create.length > 0) io.out(`${job.id}: retry of ${from} job ${id}`);
      for (const skip of plan.skipped) io.err(`nothing to do: ${skip.why}`);
      for (const cancel of plan.cancel) io.err(`cancelled ${cancel.job}: ${cancel.reason}`);
    }
    if (flags.json) io.out(JSON.stringify(done));
    return 0;
  },
};

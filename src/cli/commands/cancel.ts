import { cancelJobs } from '../../enqueue/enqueue.ts';
import { RefciError } from '../../errors.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

export const cancelCommand: Command = {
  usage: 'refci cancel --coord URL [--reason TEXT] <job>...',
  help: [...coordHelp, '--reason TEXT       why, kept in the audit trail (default: cancelled by hand)'],
  options: { ...coordOptions, reason: { type: 'string' } },
  async run(flags, positionals, io) {
    if (positionals.length === 0) throw new RefciError('usage', 'no job id given', 'refci status lists live jobs');
    const context = hostContext(flags, io, 'cancel', 'enqueue');
    const clone = await openClone(context);
    const done = await cancelJobs({ clone, clock: context.clock, by: context.id }, positionals, (flags.reason as string) ?? 'cancelled by hand');
    for (const id of positionals) io.out(done.includes(id) ? `cancelled ${id}` : `${id} was already cancelled or finished`);
    return 0;
  },
};

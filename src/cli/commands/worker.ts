import { drainWorker, undrainWorker } from '../../coord/drain.ts';
import { RefciError } from '../../errors.ts';
import { isValidName } from '../../protocol/ids.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

export const workerCommand: Command = {
  usage: 'refci worker drain|undrain <id>... --coord URL [--reason TEXT]',
  help: [
    'drain <id>...       the worker finishes the job it runs and claims no more (refs/ci/drain/<id>)',
    'undrain <id>...     it claims again',
    '--reason TEXT       why, kept in the drain record and shown by refci status (default: drained by hand)',
    ...coordHelp,
  ],
  options: { ...coordOptions, reason: { type: 'string' } },
  async run(flags, positionals, io) {
    const [sub, ...ids] = positionals;
    if (sub !== 'drain' && sub !== 'undrain') {
      throw new RefciError('usage', sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'a subcommand is missing', 'use drain or undrain; see refci worker --help');
    }
    if (ids.length === 0) throw new RefciError('usage', 'no worker id given', 'refci status lists the workers');
    for (const id of ids) if (!isValidName(id)) throw new RefciError('usage', `worker id ${JSON.stringify(id)} is not a simple name`, 'refci status lists the workers');
    const context = hostContext(flags, io, 'worker', 'operator');
    const clone = await openClone(context);
    const drain = { clone, clock: context.clock, by: context.id };
    for (const id of ids) {
      if (sub === 'drain') {
        const done = await drainWorker(drain, id, (flags.reason as string | undefined) ?? 'drained by hand');
        io.out(done ? `drained ${id}: it finishes its current job and claims no more` : `${id} was already drained`);
      } else {
        io.out((await undrainWorker(drain, id)) ? `undrained ${id}: it claims again` : `${id} was not drained`);
      }
    }
    return 0;
  },
};

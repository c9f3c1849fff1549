import { buildStatus, renderStatus } from '../../status/report.ts';
import { integer, type Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';
import { readStatusInput } from '../../coord/status-input.ts';

/** Archived jobs read for the last day's failures and percentiles; more than a day's worth on a busy fleet is cut. */
const HISTORY_LIMIT = 2000;

export const statusCommand: Command = {
  usage: 'refci status --coord URL [--json] [--hours N]',
  help: [
    ...coordHelp,
    '--json              the same content as JSON',
    '--hours N           window for failures and percentiles (default 24)',
  ],
  options: { ...coordOptions, json: { type: 'boolean' }, hours: { type: 'string' } },
  async run(flags, _positionals, io) {
    const context = hostContext(flags, io, 'status', 'status');
    const clone = await openClone(context);
    const input = await readStatusInput(clone, context.clock.now(), HISTORY_LIMIT);
    const report = buildStatus({ ...input, windowHours: integer(flags, 'hours', 'status') ?? 24 });
    if (flags.json) {
      io.out(JSON.stringify(report, null, 2));
      return 0;
    }
    for (const line of renderStatus(report)) io.out(line);
    return 0;
  },
};

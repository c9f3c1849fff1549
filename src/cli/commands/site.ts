import { integer, required, type Command } from '../command.ts';
import { writeStatusSite } from '../site-writer.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

export const siteCommand: Command = {
  usage: 'refci site --coord URL --out DIR [--hours N]',
  help: [
    ...coordHelp,
    '--out DIR           where index.html and status.json go (use the collector\'s --out folder: reports are linked as <job>/report.html)',
    '--hours N           window of the charts and the worker table (default 48)',
  ],
  options: { ...coordOptions, out: { type: 'string' }, hours: { type: 'string' } },
  async run(flags, _positionals, io) {
    const out = required(flags, 'out', 'site');
    const hours = integer(flags, 'hours', 'site') ?? 48;
    const context = hostContext(flags, io, 'site', 'status');
    const clone = await openClone(context);
    const written = await writeStatusSite(clone, out, hours, context.clock.now());
    io.out(`status site written to ${written}`);
    return 0;
  },
};


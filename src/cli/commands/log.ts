import { readHistory } from '../../coord/history.ts';
import { liveRefspecs } from '../../protocol/refs.ts';
import { table } from '../../status/live-rows.ts';
import { integer, type Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

export const logCommand: Command = {
  usage: 'refci log --coord URL [--limit N] [--json]',
  help: [...coordHelp, '--limit N           how many (default 50)', '--json              the same content as JSON'],
  options: { ...coordOptions, limit: { type: 'string' }, json: { type: 'boolean' } },
  async run(flags, _positionals, io) {
    const context = hostContext(flags, io, 'log', 'status');
    const clone = await openClone(context);
    await clone.fetch(liveRefspecs({ history: true }));
    const summaries = await readHistory(clone, integer(flags, 'limit', 'log') ?? 50);
    if (flags.json) {
      io.out(JSON.stringify(summaries, null, 2));
      return 0;
    }
    if (summaries.length === 0) {
      io.out('no finished jobs yet');
      return 0;
    }
    const cells = summaries.map((s) => [s.archivedAt, s.job, s.verdict, s.pr ? `#${s.pr}` : '-', s.worker ?? '-', s.reason]);
    for (const line of table(['ARCHIVED', 'JOB', 'VERDICT', 'PR', 'WORKER', 'REASON'], cells)) io.out(line);
    return 0;
  },
};

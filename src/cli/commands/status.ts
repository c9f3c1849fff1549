import { readSnapshot } from '../../git/live-snapshot.ts';
import { liveRefspecs } from '../../protocol/refs.ts';
import { formatAge, liveRows, table } from '../../status/live-rows.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: 'live jobs with state, holder, attempt and age; counts by state',
  usage: 'refci status --coord URL [--json]',
  help: [...coordHelp, '--json              the same content as JSON'],
  options: { ...coordOptions, json: { type: 'boolean' } },
  async run(flags, _positionals, io) {
    const context = hostContext(flags, 'status', 'status');
    const clone = await openClone(context);
    await clone.fetch(liveRefspecs());
    const { rows, counts } = liveRows(await readSnapshot(clone), context.clock.now());
    if (flags.json) {
      io.out(JSON.stringify({ counts, jobs: rows }, null, 2));
      return 0;
    }
    const countLine = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ');
    io.out(`jobs: ${countLine || 'none'}`);
    if (rows.length === 0) return 0;
    const cells = rows.map((r) => [
      r.id,
      r.state,
      r.pipeline ?? '-',
      r.pr ? `#${r.pr}` : '-',
      r.holder ?? '-',
      r.attempt ? String(r.attempt) : '-',
      formatAge(r.ageSec),
      r.reason ?? '',
    ]);
    for (const line of table(['JOB', 'STATE', 'PIPELINE', 'PR', 'HOLDER', 'ATTEMPT', 'AGE', 'REASON'], cells)) io.out(line);
    return 0;
  },
};

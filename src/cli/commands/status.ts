import { readDrains } from '../../coord/drain.ts';
import { attemptStarts } from '../../coord/attempt-starts.ts';
import { readPresences } from '../../coord/presence.ts';
import { readHistory } from '../../coord/history.ts';
import { readLiveRefs } from '../../coord/snapshot.ts';
import { CONFIG_REF, liveRefspecs } from '../../protocol/refs.ts';
import { buildStatus, renderStatus } from '../../status/report.ts';
import { integer, type Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

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
    await clone.fetch(liveRefspecs({ history: true, workers: true, drain: true, config: true }));
    const { snapshot, ignored } = await readLiveRefs(clone);
    const report = buildStatus({
      snapshot,
      ignoredRefs: ignored,
      nowMs: context.clock.now(),
      presences: await readPresences(clone),
      drains: await readDrains(clone),
      history: await readHistory(clone, HISTORY_LIMIT),
      attemptStarts: await attemptStarts(clone, snapshot),
      configCommit: await clone.ref(CONFIG_REF),
      windowHours: integer(flags, 'hours', 'status') ?? 24,
    });
    if (flags.json) {
      io.out(JSON.stringify(report, null, 2));
      return 0;
    }
    for (const line of renderStatus(report)) io.out(line);
    return 0;
  },
};

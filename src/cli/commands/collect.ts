import path from 'node:path';
import { runCollector } from '../../collect/collector.ts';
import { deciders } from '../../collect/deciders.ts';
import { FolderPublisher, type Publisher } from '../../collect/publisher.ts';
import { loadConfigFile } from '../../config/load.ts';
import { defaultWorkerId } from '../../host/state-dir.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext } from '../context.ts';
import { lineLogger, stopOnSignals } from '../process.ts';

export const collectCommand: Command = {
  name: 'collect',
  summary: 'decide verdicts of finished jobs, publish them and archive the jobs',
  usage: 'refci collect --coord URL [--once] [--out DIR] [--config FILE]',
  help: [
    ...coordHelp,
    '--once              collect what is finished, then exit (for cron)',
    '--out DIR           write each job\'s reports to DIR/<job id>/ (default ./refci-reports)',
    '--config FILE       pipelines and limits as JSON, over the built-in defaults',
  ],
  options: {
    ...coordOptions,
    once: { type: 'boolean' },
    out: { type: 'string' },
    config: { type: 'string' },
  },
  async run(flags, _positionals, io) {
    const id = defaultWorkerId();
    const context = hostContext(flags, 'collect', 'collector', id);
    const config = loadConfigFile(flags.config as string | undefined);
    const out = path.resolve((flags.out as string | undefined) ?? 'refci-reports');
    const publishers: Publisher[] = [new FolderPublisher(out)];
    const stop = stopOnSignals();
    const { archived } = await runCollector({
      coord: context.coord,
      collectorId: id,
      stateDir: context.stateDir,
      config,
      clock: context.clock,
      once: Boolean(flags.once),
      log: lineLogger(io, context.clock, 'collector'),
      publishers,
      deciders: deciders(config),
      stop: stop.signal,
    });
    stop.dispose();
    io.out(`collector: archived ${archived} job(s); reports in ${out}`);
    return 0;
  },
};

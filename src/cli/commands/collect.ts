import path from 'node:path';
import { runCollector } from '../../collect/collector.ts';
import { deciders } from '../../collect/deciders.ts';
import { ForgePublisher } from '../../collect/forge-publisher.ts';
import { FolderPublisher, type Publisher } from '../../collect/publisher.ts';
import { loadConfigFile } from '../../config/load.ts';
import type { FleetConfig } from '../../config/types.ts';
import { isRefciError, RefciError } from '../../errors.ts';
import { defaultWorkerId } from '../../host/state-dir.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext } from '../context.ts';
import { forgeHelp, forgeOptions, forgesFromFlags } from '../forge-flags.ts';
import { lineLogger, stopOnSignals } from '../process.ts';

export const collectCommand: Command = {
  usage: 'refci collect --coord URL [--once] [--out DIR] [--config FILE] [--github OWNER/REPO] [--codeberg OWNER/REPO] [--report-url TEMPLATE]',
  help: [
    ...coordHelp,
    '--once              collect what is finished, then exit (for cron)',
    '--out DIR           write each job\'s reports to DIR/<job id>/ (default ./refci-reports)',
    '--config FILE       use this file (over the built-in defaults) instead of the configuration branch',
    '',
    'publishing on forges (statuses, one report comment per pull request); --github and --codeberg may both be given:',
    ...forgeHelp,
    '--report-url TEMPLATE   link in statuses and comments; {job}, {shard}, {pr} and {head} are filled in,',
    '                    e.g. https://ci.example.org/reports/{job}/report.html (see docs/forge.md)',
  ],
  options: {
    ...coordOptions,
    ...forgeOptions,
    once: { type: 'boolean' },
    out: { type: 'string' },
    config: { type: 'string' },
    'report-url': { type: 'string' },
  },
  async run(flags, _positionals, io) {
    const id = defaultWorkerId();
    const context = hostContext(flags, 'collect', 'collector', id);
    const config = typeof flags.config === 'string' ? loadConfigFile(flags.config) : undefined;
    const out = path.resolve((flags.out as string | undefined) ?? 'refci-reports');
    const log = lineLogger(io, context.clock, 'collector');
    const folder = new FolderPublisher(out);
    if (flags.github === undefined && flags.codeberg === undefined && flags['report-url'] !== undefined) {
      throw new RefciError('usage', '--report-url needs --github or --codeberg', 'see refci collect --help');
    }
    // Made for each configuration the collector takes up: forge settings may live there.
    const publishers = async (current: FleetConfig): Promise<Publisher[]> => {
      const forges = await forgesFromFlags(flags, io, 'collect', { both: true, log, forges: current.forges });
      return [
        folder,
        ...forges.map(
          ({ forge, settings }) => new ForgePublisher({ forge, stateDir: context.stateDir, context: settings.statusContext, reportUrl: settings.reportUrl, log }),
        ),
      ];
    };
    const errors: unknown[] = [];
    const stop = stopOnSignals(log);
    const { archived } = await runCollector({
      coord: context.coord,
      collectorId: id,
      stateDir: context.stateDir,
      config,
      clock: context.clock,
      once: Boolean(flags.once),
      log,
      publishers,
      deciders,
      stop: stop.signal,
      onPublishError: (error) => errors.push(error),
    }).finally(() => stop.dispose());
    io.out(`collector: archived ${archived} job(s); reports in ${out}`);
    if (errors.length > 0) {
      const first = errors[0];
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
      if (isRefciError(first)) throw new RefciError(first.code, `${errors.length} job(s) not published, left live for the next run${more}: ${first.message}`, first.hint, first.details);
      throw first;
    }
    return 0;
  },
};

import path from 'node:path';
import type { CoordClone } from '../../coord/clone.ts';
import type { Clock } from '../../host/clock.ts';
import { writeStatusSite } from '../site-writer.ts';
import { runCollector } from '../../collect/collector.ts';
import { deciders } from '../../collect/deciders.ts';
import { ForgePublisher } from '../../collect/forge-publisher.ts';
import { FolderPublisher, type Publisher } from '../../collect/publisher.ts';
import { loadConfigFile } from '../../config/load.ts';
import type { FleetConfig } from '../../config/types.ts';
import { isRefciError, RefciError } from '../../errors.ts';
import { defaultWorkerId } from '../../host/state-dir.ts';
import { integer, type Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext } from '../context.ts';
import { forgeForJobs, forgeHelp, forgeOptions, forgesFromFlags, processPacers, writeBudgetFlags } from '../forge-flags.ts';
import { ForgeRouter } from '../../collect/forge-router.ts';
import type { ForgeSettings } from '../../config/types.ts';
import type { Forge, ForgeKind } from '../../forge/index.ts';
import { lineLogger, loadDeferredModules, stopOnSignals } from '../process.ts';

export const collectCommand: Command = {
  usage: 'refci collect --coord URL [--once] [--out DIR] [--site DIR] [--config FILE] [--github OWNER/REPO] [--codeberg OWNER/REPO] [--report-url TEMPLATE]',
  help: [
    ...coordHelp,
    '--once              collect what is finished, then exit (for cron)',
    '--out DIR           write each job\'s reports to DIR/<job id>/ (default ./refci-reports)',
    '--config FILE       use this file (over the built-in defaults) instead of the configuration branch',
    '--site DIR          also write the status site (refci site) to DIR after each round; use the --out folder so reports link',
    '--verbose           also say when a round archived nothing (by default only what changed is printed)',
    '--poll-max SEC      longest wait between rounds when nothing is under way (default 5; half a second while jobs',
    '                    are queued or running); a repository on this host is watched and wakes the collector at once',
    '',
    'publishing on forges (statuses, one report comment per pull request); --github and --codeberg may both be given:',
    ...forgeHelp,
    'without either, each job is published on the forge it came from (its forge field), with the token from',
    'GITHUB_TOKEN / CODEBERG_TOKEN, ~/.config/refci/<github|codeberg>-token or the configuration\'s token file',
    '--report-url TEMPLATE   link in statuses and comments; {job}, {shard}, {pr} and {head} are filled in,',
    '                    e.g. https://ci.example.org/reports/{job}/report.html (see docs/forge.md)',
  ],
  options: {
    ...coordOptions,
    ...forgeOptions,
    once: { type: 'boolean' },
    out: { type: 'string' },
    site: { type: 'string' },
    config: { type: 'string' },
    'report-url': { type: 'string' },
    verbose: { type: 'boolean' },
    'poll-max': { type: 'string' },
  },
  async run(flags, _positionals, io) {
    const id = defaultWorkerId();
    const pollMax = integer(flags, 'poll-max', 'collect');
    if (pollMax !== undefined && pollMax < 1) throw new RefciError('usage', '--poll-max must be at least 1', 'see refci collect --help');
    const context = hostContext(flags, io, 'collect', 'collector', id);
    const config = typeof flags.config === 'string' ? loadConfigFile(flags.config) : undefined;
    const out = path.resolve((flags.out as string | undefined) ?? 'refci-reports');
    const log = lineLogger(io, context.clock, 'collector');
    const folder = new FolderPublisher(out);
    const site = typeof flags.site === 'string' ? path.resolve(flags.site) : undefined;
    // The site writes running jobs' live pages in its folder: the report links lead there only when that is the reports' folder.
    const liveLinks = site === out;
    // One pacer per forge for the whole run: publishers made for a new configuration keep the spacing.
    const pacers = processPacers();
    const writeBudget = writeBudgetFlags(flags, 'collect');
    // Made for each configuration the collector takes up: forge settings may live there.
    const publishers = async (current: FleetConfig): Promise<Publisher[]> => {
      const publisherOf = ({ forge, settings }: { forge: Forge; settings: ForgeSettings }) =>
        new ForgePublisher({ forge, stateDir: context.stateDir, context: settings.statusContext, reportUrl: settings.reportUrl, log, clock: context.clock, writeBudget, liveLinks });
      const fixed = (await forgesFromFlags(flags, io, 'collect', { both: true, log, forges: current.forges, pacers })).map(publisherOf);
      // Jobs name their forge: publish each there with this host's settings, without a flag.
      const open = async (kind: ForgeKind, repo: string) => publisherOf(await forgeForJobs(kind, repo, flags, io, current.forges, log, pacers));
      return [folder, new ForgeRouter({ fixed, open })];
    };
    const errors: unknown[] = [];
    const unpublishable: Error[] = [];
    if (!flags.once) await loadDeferredModules();
    const stop = stopOnSignals(io, log);
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
      onUnpublishable: (error) => unpublishable.push(error),
      env: context.env,
      afterRound: site ? siteWriter(site, context.clock) : undefined,
      pollMs: pollMax === undefined ? undefined : { min: Math.min(250, pollMax * 1000), max: pollMax * 1000 },
    }).finally(() => stop.dispose());
    // Under cron every line is mail: a round that archived nothing says nothing unless asked.
    if (archived > 0 || flags.verbose) io.out(`collector: archived ${archived} job(s); reports in ${out}`);
    if (errors.length > 0) {
      const first = errors[0];
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
      if (isRefciError(first)) throw new RefciError(first.code, `${errors.length} job(s) not published, left live for the next run${more}: ${first.message}`, first.hint, first.details);
      throw first;
    }
    if (unpublishable.length > 0) {
      // Already logged, once per forge; the exit code tells cron and systemd that something waits.
      const first = unpublishable[0]!;
      throw new RefciError(isRefciError(first) ? first.code : 'usage', `${unpublishable.length} job(s) left live, not published: ${first.message}`);
    }
    return 0;
  },
};

/** Building the site reads the recent history (thousands of summaries): a daemon rebuilds it at most once a minute, enough for the running jobs' live lines. */
const SITE_EVERY_MS = 60_000;

function siteWriter(out: string, clock: Clock): (clone: CoordClone) => Promise<void> {
  let lastMs: number | undefined;
  return async (clone) => {
    const now = clock.now();
    if (lastMs !== undefined && now - lastMs < SITE_EVERY_MS) return;
    lastMs = now;
    await writeStatusSite(clone, out, 48, now);
  };
}

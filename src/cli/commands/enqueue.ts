import { enqueueJobs } from '../../enqueue/enqueue.ts';
import { DEFAULT_QUEUED_STATUSES, discoverFromForge, PRIORITY_CI } from '../../enqueue/forge-discovery.ts';
import { jobRepoUrls } from '../../enqueue/job-repo.ts';
import { discoverPullRefs } from '../../enqueue/pull-refs.ts';
import { resolveRev } from '../../enqueue/resolve-rev.ts';
import { RefciError } from '../../errors.ts';
import { isoOf } from '../../host/clock.ts';
import { MERGE_BASES, newJob } from '../../protocol/job.ts';
import { integer, required, type Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';
import { forgeHelp, forgeOptions, forgesFromFlags, writeBudgetFlags } from '../forge-flags.ts';
import { branchConfig } from '../host-config.ts';
import { lineLogger } from '../process.ts';

export const enqueueCommand: Command = {
  usage: [
    'refci enqueue --coord URL --repo URL --base REV --head REV [--pr N] [--pipeline NAME] [--priority N]',
    '       refci enqueue --coord URL --github OWNER/REPO | --codeberg OWNER/REPO [--api-url URL] [--token-file FILE]',
    '       refci enqueue --coord URL --pull-refs GIT-URL [--base REV] [--baseline]',
  ].join('\n'),
  help: [
    ...coordHelp,
    '',
    'one job:',
    '--repo URL          the source repository workers fetch from',
    '--base REV          the target: a full commit id, a branch, a tag or a ref',
    '--head REV          the change to check (for a PR: refs/pull/N/head works)',
    '--pr N              the pull request number; a newer job for the same PR cancels the older one',
    '--pr-url URL        link to the pull request, shown in reports',
    '--merge-basis base|fork-point   merge onto the base (default) or onto merge-base(base, head)',
    '',
    'pull requests of a forge (run from cron; only the main host holds a token):',
    ...forgeHelp,
    '--queued-statuses N "queued, position N" statuses for the first N queued jobs (default 20; 0: none), posted',
    '                    again only when the position crosses 1, 2, 3, 5, 10, 20, 50, …',
    '--high-priority N   priority of pull requests labelled priority-ci (default 100)',
    '',
    'pull requests without an API:',
    '--pull-refs URL     enqueue every refs/pull/N/head of URL that is new or moved since the last run',
    '--base REV          what they are checked against (default: the remote\'s HEAD branch)',
    '--baseline          only remember the current refs (first run on a repository with many old PRs)',
    '',
    'all modes:',
    '--pipeline NAME     pipeline to run (default gentoo)',
    '--priority N        higher runs first (default 0)',
    '--max-attempts N    attempts before the job fails when workers die (default: maxAttempts of the configuration)',
    '--timeout SEC       time limit for the whole job (default: jobTimeoutSec of the configuration)',
    '--json              print what was done as JSON',
    '--verbose           also print what did not change (a poll that found nothing prints nothing)',
  ],
  options: {
    ...coordOptions,
    ...forgeOptions,
    repo: { type: 'string' },
    base: { type: 'string' },
    head: { type: 'string' },
    pr: { type: 'string' },
    'pr-url': { type: 'string' },
    pipeline: { type: 'string' },
    priority: { type: 'string' },
    'merge-basis': { type: 'string' },
    'max-attempts': { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean' },
    'pull-refs': { type: 'string' },
    baseline: { type: 'boolean' },
    'queued-statuses': { type: 'string' },
    'high-priority': { type: 'string' },
  },
  async run(flags, _positionals, io) {
    const modes = ['repo', 'github', 'codeberg', 'pull-refs'].filter((name) => flags[name] !== undefined);
    if (modes.length > 1) throw new RefciError('usage', `--${modes[0]} and --${modes[1]} cannot be used together`, 'see refci enqueue --help');
    const context = hostContext(flags, io, 'enqueue', 'enqueue');
    const log = flags.json ? () => {} : lineLogger(io, context.clock, 'enqueue');
    const forgeMode = flags.github !== undefined || flags.codeberg !== undefined;
    if (!forgeMode) {
      for (const flag of ['api-url', 'token-file', 'status-context', 'login', 'queued-statuses', 'high-priority', 'writes-per-hour', 'progress-per-hour']) {
        if (flags[flag] !== undefined) throw new RefciError('usage', `--${flag} needs --github or --codeberg`, 'see refci enqueue --help');
      }
    }
    // Read before any git, so a wrong number is a usage error at once.
    const writeBudget = forgeMode ? writeBudgetFlags(flags, 'enqueue') : undefined;
    const maxAttempts = integer(flags, 'max-attempts', 'enqueue');
    const timeoutSec = integer(flags, 'timeout', 'enqueue');
    const priority = integer(flags, 'priority', 'enqueue');
    // The fleet's attempts and job timeout apply to every job unless a flag says otherwise. Read
    // after the flags are checked, so a usage error never waits on the network. Standard output
    // carries the job id alone (scripts read it); news of the configuration goes to stderr.
    const jobSettings = async () => {
      const config = await branchConfig(context, forgeMode ? log : (line) => io.err(line));
      return {
        pipeline: (flags.pipeline as string | undefined) ?? 'gentoo',
        priority,
        maxAttempts: maxAttempts ?? config.maxAttempts,
        timeoutSec: timeoutSec ?? config.jobTimeoutSec,
        config,
      };
    };

    if (forgeMode) {
      for (const flag of ['repo', 'head', 'base', 'pr', 'pr-url', 'merge-basis', 'baseline']) {
        if (flags[flag] !== undefined) throw new RefciError('usage', `--${flag} does not go with --github or --codeberg`, 'pull requests come from the forge');
      }
      const { config, ...common } = await jobSettings();
      const [found] = await forgesFromFlags(flags, io, 'enqueue', { both: false, log: (line) => io.err(line), forges: config.forges });
      if (!found) throw new RefciError('usage', 'no forge given', 'see refci enqueue --help');
      const { forge } = found;
      const clone = await openClone(context);
      const outcome = await discoverFromForge({
        forge,
        clone,
        clock: context.clock,
        by: context.id,
        stateDir: context.stateDir,
        pipeline: common.pipeline,
        statusContext: found.settings.statusContext,
        queuedStatuses: integer(flags, 'queued-statuses', 'enqueue') ?? DEFAULT_QUEUED_STATUSES,
        writeBudget,
        priority: { normal: common.priority ?? 0, high: integer(flags, 'high-priority', 'enqueue') ?? PRIORITY_CI },
        maxAttempts: common.maxAttempts,
        timeoutSec: common.timeoutSec,
        log,
        verbose: flags.verbose ? log : undefined,
        warn: (line) => io.err(line),
      });
      if (flags.json) {
        io.out(JSON.stringify(outcome));
      } else if (flags.verbose) {
        // Under cron every line is mail: by default only what changed is printed, above.
        log(`${forge.repo}: ${outcome.openPulls} open pull request(s); ${outcome.enqueued.length} enqueued, ${outcome.cancelled.length} cancelled, ${outcome.skipped.length} skipped`);
      }
      return 0;
    }
    if (flags['pull-refs'] !== undefined) {
      for (const flag of ['repo', 'head', 'pr', 'pr-url']) {
        if (flags[flag] !== undefined) throw new RefciError('usage', `--${flag} does not go with --pull-refs`, 'pull requests come from refs/pull/*/head');
      }
      const url = required(flags, 'pull-refs', 'enqueue');
      const { config: _config, ...common } = await jobSettings();
      const clone = await openClone(context);
      const outcome = await discoverPullRefs({
        url,
        clone,
        clock: context.clock,
        by: context.id,
        stateDir: context.stateDir,
        base: flags.base as string | undefined,
        baseline: Boolean(flags.baseline),
        warn: (line) => io.err(line),
        ...common,
      });
      if (flags.json) {
        io.out(
          JSON.stringify({
            base: outcome.base,
            changed: outcome.changed,
            created: outcome.plan.create.map((job) => ({ id: job.id, pr: job.pr, head: job.head })),
            skipped: outcome.plan.skipped,
            cancelled: outcome.plan.cancel.map((c) => c.job),
          }),
        );
        return 0;
      }
      for (const job of outcome.plan.create) io.out(`PR #${job.pr}: enqueued ${job.id} (head ${job.head.slice(0, 12)})`);
      for (const skip of outcome.plan.skipped) io.err(`nothing to do: ${skip.why}`);
      for (const cancel of outcome.plan.cancel) io.err(`cancelled ${cancel.job}: ${cancel.reason}`);
      if (flags.baseline) io.out(`remembered ${outcome.changed.length} pull request ref(s); none enqueued`);
      else if (outcome.changed.length === 0) io.out('no pull request ref is new or moved');
      return 0;
    }

    if (flags.baseline !== undefined) throw new RefciError('usage', '--baseline needs --pull-refs', 'see refci enqueue --help');
    const given = required(flags, 'repo', 'enqueue');
    // The job gets the URL without credentials; the revisions are still resolved with the URL as given.
    const repo = jobRepoUrls((line) => io.err(line))(given);
    const mergeBasis = (flags['merge-basis'] as string | undefined) ?? 'base';
    if (!(MERGE_BASES as readonly string[]).includes(mergeBasis)) {
      throw new RefciError('usage', `--merge-basis must be base or fork-point, not ${mergeBasis}`, 'see refci enqueue --help');
    }
    const baseRev = required(flags, 'base', 'enqueue');
    const headRev = required(flags, 'head', 'enqueue');
    const pr = integer(flags, 'pr', 'enqueue');
    const { config: _config, ...common } = await jobSettings();
    const base = await resolveRev(given, baseRev, '--base');
    const head = await resolveRev(given, headRev, '--head');
    const job = newJob({
      repo,
      base: base.sha,
      head: head.sha,
      baseRef: base.ref,
      headRef: head.ref,
      pr,
      prUrl: flags['pr-url'] as string | undefined,
      mergeBasis: mergeBasis as 'base' | 'fork-point',
      createdAt: isoOf(context.clock.now()),
      ...common,
    });
    const clone = await openClone(context);
    const plan = await enqueueJobs({ clone, clock: context.clock, by: context.id }, [job]);
    if (flags.json) {
      io.out(JSON.stringify({ id: job.id, created: plan.create.map((j) => j.id), skipped: plan.skipped, cancelled: plan.cancel.map((c) => c.job) }));
      return 0;
    }
    io.out(job.id);
    for (const skip of plan.skipped) io.err(`nothing to do: ${skip.why}`);
    for (const cancel of plan.cancel) io.err(`cancelled ${cancel.job}: ${cancel.reason}`);
    return 0;
  },
};

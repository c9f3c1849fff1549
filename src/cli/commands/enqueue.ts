import { enqueueJobs } from '../../enqueue/enqueue.ts';
import { resolveRev } from '../../enqueue/resolve-rev.ts';
import { RefciError } from '../../errors.ts';
import { isoOf } from '../../host/clock.ts';
import { MERGE_BASES, newJob } from '../../protocol/job.ts';
import { integer, required, type Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

export const enqueueCommand: Command = {
  name: 'enqueue',
  summary: 'queue a job: check a head commit merged onto a base',
  usage: 'refci enqueue --coord URL --repo URL --base REV --head REV [--pr N] [--pipeline NAME] [--priority N]',
  help: [
    ...coordHelp,
    '--repo URL          the source repository workers fetch from',
    '--base REV          the target: a full commit id, a branch, a tag or a ref',
    '--head REV          the change to check (for a PR: refs/pull/N/head works)',
    '--pr N              the pull request number; a newer job for the same PR cancels the older one',
    '--pr-url URL        link to the pull request, shown in reports',
    '--pipeline NAME     pipeline to run (default gentoo)',
    '--priority N        higher runs first (default 0)',
    '--merge-basis base|fork-point   merge onto the base (default) or onto merge-base(base, head)',
    '--max-attempts N    attempts before the job fails when workers die (default 3)',
    '--timeout SEC       time limit for the whole job (default 3600)',
    '--json             print the plan as JSON',
  ],
  options: {
    ...coordOptions,
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
  },
  async run(flags, _positionals, io) {
    const context = hostContext(flags, 'enqueue', 'enqueue');
    const repo = required(flags, 'repo', 'enqueue');
    const mergeBasis = (flags['merge-basis'] as string | undefined) ?? 'base';
    if (!(MERGE_BASES as readonly string[]).includes(mergeBasis)) {
      throw new RefciError('usage', `--merge-basis must be base or fork-point, not ${mergeBasis}`, 'see refci enqueue --help');
    }
    const base = await resolveRev(repo, required(flags, 'base', 'enqueue'), '--base');
    const head = await resolveRev(repo, required(flags, 'head', 'enqueue'), '--head');
    const job = newJob({
      repo,
      base: base.sha,
      head: head.sha,
      baseRef: base.ref,
      headRef: head.ref,
      pr: integer(flags, 'pr', 'enqueue'),
      prUrl: flags['pr-url'] as string | undefined,
      pipeline: (flags.pipeline as string | undefined) ?? 'gentoo',
      priority: integer(flags, 'priority', 'enqueue'),
      mergeBasis: mergeBasis as 'base' | 'fork-point',
      maxAttempts: integer(flags, 'max-attempts', 'enqueue'),
      timeoutSec: integer(flags, 'timeout', 'enqueue'),
      createdAt: isoOf(context.clock.now()),
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

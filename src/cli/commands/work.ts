import { runWorker } from '../../claim/worker.ts';
import { loadConfigFile } from '../../config/load.ts';
import { RefciError } from '../../errors.ts';
import { isValidName } from '../../protocol/ids.ts';
import { signingKeyOf } from '../signing-key.ts';
import { defaultWorkerId } from '../../host/state-dir.ts';
import { pipelineRunner } from '../../run/job-runner.ts';
import { integer, type Command } from '../command.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { coordHelp, coordOptions, hostContext } from '../context.ts';
import { lineLogger, loadDeferredModules, stopOnSignals } from '../process.ts';
import { progressDisplay } from '../progress.ts';

/**
 * Local repositories are a host's own choice, never the configuration
 * branch's: others push that branch (any key, without the repository's hook), and a path lets a job read
 * any repository the worker's user can.
 */
function allowLocalRepos(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): boolean {
  return flags['allow-local-repos'] === true || env.REFCI_ALLOW_LOCAL_REPOS === '1';
}

export const workCommand: Command = {
  usage: 'refci work --coord URL [--once] [--worker-id ID] [--signing-key FILE] [--pipelines a,b] [--host-kind KIND] [--config FILE] [--allow-local-repos] [--verbose]',
  help: [
    ...coordHelp,
    '--once              take what is free, then exit (for cron)',
    '--worker-id ID      this worker\'s name in locks, presence and the audit trail (default: the host name)',
    '--signing-key FILE  sign lock and result commits with this ssh private key (also REFCI_SIGNING_KEY); refci worker add lists its .pub',
    '--pipelines a,b     run only these of the pipelines the configuration gives this worker',
    '--host-kind KIND    which update commands fit this host (default: the configuration\'s workers rule, else "default")',
    '--poll-max SEC      longest wait between looks at the queue when idle (default 5; 2 at most while jobs are queued or running);',
    '                    a repository on this host is watched and wakes the worker at once',
    '--config FILE       use this file (over the built-in defaults) instead of the configuration branch; for tests and demos',
    '--verbose           also say each claim another worker won first',
    '--allow-local-repos fetch jobs whose repo is a path or file:// URL on this host (also REFCI_ALLOW_LOCAL_REPOS=1); for tests and demos',
  ],
  options: {
    ...coordOptions,
    once: { type: 'boolean' },
    'worker-id': { type: 'string' },
    'signing-key': { type: 'string' },
    config: { type: 'string' },
    pipelines: { type: 'string' },
    'host-kind': { type: 'string' },
    'poll-max': { type: 'string' },
    'allow-local-repos': { type: 'boolean' },
    verbose: { type: 'boolean' },
  },
  async run(flags, _positionals, io) {
    const workerId = (flags['worker-id'] as string | undefined) ?? defaultWorkerId();
    if (!isValidName(workerId)) {
      throw new RefciError('usage', `worker id ${JSON.stringify(workerId)} is not a simple name`, 'use letters, digits, dot, dash and underscore');
    }
    const hostKind = flags['host-kind'] as string | undefined;
    if (hostKind !== undefined && !isValidName(hostKind)) throw new RefciError('usage', `host kind ${JSON.stringify(hostKind)} is not a simple name`, 'see refci work --help');
    const pollMax = integer(flags, 'poll-max', 'work');
    if (pollMax !== undefined && pollMax < 1) throw new RefciError('usage', '--poll-max must be at least 1', 'see refci work --help');
    const context = hostContext(flags, io, 'work', 'worker', workerId);
    const config = typeof flags.config === 'string' ? loadConfigFile(flags.config) : undefined;
    const pipelines = typeof flags.pipelines === 'string' ? flags.pipelines.split(',').filter(Boolean) : undefined;
    for (const name of config ? (pipelines ?? []) : []) {
      if (!config!.pipelines[name]) throw new RefciError('usage', `no pipeline named ${name}`, `configured: ${Object.keys(config!.pipelines).join(', ')}`);
    }
    const signingKey = await signingKeyOf(flags, context.env);
    const progress = progressDisplay(io, context.clock, lineLogger(io, context.clock, workerId));
    if (!flags.once) await loadDeferredModules();
    const stop = stopOnSignals(io, progress.log);
    try {
      const summary = await runWorker({
        coord: context.coord,
        workerId,
        stateDir: context.stateDir,
        config,
        clock: context.clock,
        once: Boolean(flags.once),
        log: progress.log,
        verbose: Boolean(flags.verbose),
        stop: stop.signal,
        pipelines,
        hostKind,
        pollMs: pollMax === undefined ? undefined : { min: Math.min(250, pollMax * 1000), max: pollMax * 1000 },
        runJob: pipelineRunner({ stateDir: context.stateDir, onStep: progress.onStep, env: context.env, allowLocalRepos: allowLocalRepos(flags, context.env) }),
        env: context.env,
        signingKey,
      });
      progress.dispose();
      io.out(`${workerId}: ran ${summary.ran} job(s), published ${summary.published}, lost ${summary.lost}${summary.handedBack ? `, handed back ${summary.handedBack}` : ''}`);
      // Cron and monitoring see a host that cannot work, not a quiet queue.
      const blocked = summary.serves.filter((pipeline) => summary.blocked[pipeline]);
      if (summary.serves.length > 0 && blocked.length === summary.serves.length) {
        const why = blocked.map((pipeline) => `${pipeline}: ${summary.blocked[pipeline]}`).join('; ');
        io.err(`refci work: worker ${workerId} can run none of its pipelines on this host (${why}); install the tools or fix their versionCommand, refci doctor shows the same`);
        return EXIT_CODES['not-ready'];
      }
    } finally {
      progress.dispose();
      stop.dispose();
    }
    return EXIT_CODES.ok;
  },
};

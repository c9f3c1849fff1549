import { runWorker } from '../../claim/worker.ts';
import { loadConfigFile } from '../../config/load.ts';
import { RefciError } from '../../errors.ts';
import { isValidName } from '../../protocol/ids.ts';
import { defaultWorkerId } from '../../host/state-dir.ts';
import { workerHooks } from '../../run/kinds.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext } from '../context.ts';
import { lineLogger, stopOnSignals } from '../process.ts';

export const workCommand: Command = {
  name: 'work',
  summary: 'claim and run jobs (--once for cron, a daemon otherwise)',
  usage: 'refci work --coord URL [--once] [--worker-id ID] [--config FILE] [--pipelines a,b]',
  help: [
    ...coordHelp,
    '--once              take what is free, then exit (for cron)',
    '--worker-id ID      this worker\'s name in locks and the audit trail (default: the host name)',
    '--config FILE       pipelines and limits as JSON, over the built-in defaults',
    '--pipelines a,b     run only these pipelines (default: all configured)',
  ],
  options: {
    ...coordOptions,
    once: { type: 'boolean' },
    'worker-id': { type: 'string' },
    config: { type: 'string' },
    pipelines: { type: 'string' },
  },
  async run(flags, _positionals, io) {
    const workerId = (flags['worker-id'] as string | undefined) ?? defaultWorkerId();
    if (!isValidName(workerId)) {
      throw new RefciError('usage', `worker id ${JSON.stringify(workerId)} is not a simple name`, 'use letters, digits, dot, dash and underscore');
    }
    const context = hostContext(flags, 'work', 'worker', workerId);
    const config = loadConfigFile(flags.config as string | undefined);
    const pipelines = typeof flags.pipelines === 'string' ? flags.pipelines.split(',').filter(Boolean) : undefined;
    for (const name of pipelines ?? []) {
      if (!config.pipelines[name]) throw new RefciError('usage', `no pipeline named ${name}`, `configured: ${Object.keys(config.pipelines).join(', ')}`);
    }
    const stop = stopOnSignals();
    const summary = await runWorker({
      coord: context.coord,
      workerId,
      stateDir: context.stateDir,
      config,
      clock: context.clock,
      once: Boolean(flags.once),
      log: lineLogger(io, context.clock, workerId),
      stop: stop.signal,
      pipelines,
      ...(await workerHooks(config, context.stateDir)),
    });
    stop.dispose();
    io.out(`${workerId}: ran ${summary.ran} job(s), published ${summary.published}, lost ${summary.lost}`);
    return 0;
  },
};

import { runDoctor } from '../../fleet/doctor.ts';
import { RefciError } from '../../errors.ts';
import { defaultWorkerId, stateDirFor } from '../../host/state-dir.ts';
import { systemClock } from '../../host/clock.ts';
import { isValidName } from '../../protocol/ids.ts';
import { integer, type Command } from '../command.ts';
import { coordHelp, coordOptions } from '../context.ts';
import { signingKeyPath } from '../signing-key.ts';

export const doctorCommand: Command = {
  usage: 'refci doctor [--coord URL] [--worker-id ID] [--signing-key FILE] [--main] [--pipelines a,b] [--config FILE] [--json]',
  help: [
    ...coordHelp,
    '--worker-id ID      the worker to check for (default: the host name), as refci work would run it',
    '--signing-key FILE  as refci work --signing-key (also REFCI_SIGNING_KEY): the key, ssh-keygen, allowed_signers',
    '--pipelines a,b     check only the tools of these pipelines',
    '--host-kind KIND    as refci work --host-kind',
    '--main              the main host: check its forge tokens (GITHUB_TOKEN, CODEBERG_TOKEN, configured token files), not tools and sandbox',
    '--config FILE       check with this file instead of the configuration branch',
    '--min-free GB       disk space below this in the state folder is a failure (default 2)',
    '--json              the checks as JSON',
    'Exit status 1 when any check fails; warnings do not.',
  ],
  options: {
    ...coordOptions,
    'worker-id': { type: 'string' },
    'signing-key': { type: 'string' },
    pipelines: { type: 'string' },
    'host-kind': { type: 'string' },
    main: { type: 'boolean' },
    config: { type: 'string' },
    'min-free': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(flags, _positionals, io) {
    const workerId = (flags['worker-id'] as string | undefined) ?? defaultWorkerId();
    if (!isValidName(workerId)) throw new RefciError('usage', `worker id ${JSON.stringify(workerId)} is not a simple name`, 'see refci doctor --help');
    const coord = flags.coord as string | undefined;
    const main = Boolean(flags.main);
    const stateDir = (flags['state-dir'] as string | undefined) ?? stateDirFor(main ? 'collector' : 'worker', coord ?? 'none', main ? defaultWorkerId() : workerId, io.env);
    const checks = await runDoctor({
      coord,
      stateDir,
      hostId: defaultWorkerId(),
      workerId,
      clock: systemClock,
      configFile: flags.config as string | undefined,
      pipelines: typeof flags.pipelines === 'string' ? flags.pipelines.split(',').filter(Boolean) : undefined,
      hostKind: flags['host-kind'] as string | undefined,
      main,
      signingKey: signingKeyPath(flags, io.env),
      env: io.env,
      minFreeBytes: (integer(flags, 'min-free', 'doctor') ?? 2) * 1024 ** 3,
    });
    const failed = checks.filter((check) => check.status === 'fail');
    if (flags.json) {
      io.out(JSON.stringify({ ok: failed.length === 0, checks }, null, 2));
      return failed.length === 0 ? 0 : 1;
    }
    for (const check of checks) {
      io.out(`${check.status === 'ok' ? 'ok  ' : check.status === 'warn' ? 'warn' : 'FAIL'}  ${check.name}: ${check.detail}`);
      if (check.fix && check.status !== 'ok') io.out(`      fix: ${check.fix}`);
    }
    const warned = checks.filter((check) => check.status === 'warn').length;
    io.out(failed.length === 0 ? `all checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}` : `${failed.length} problem${failed.length > 1 ? 's' : ''} found`);
    return failed.length === 0 ? 0 : 1;
  },
};

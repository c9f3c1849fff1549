import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../../errors.ts';
import { createCoordRepository } from '../../coord/create-repository.ts';
import { installPreReceive } from '../../coord/install-hooks.ts';
import { systemClock } from '../../host/clock.ts';
import { packageRoot } from '../../host/package-root.ts';
import { defaultWorkerId } from '../../host/state-dir.ts';
import type { Command } from '../command.ts';

export const initCommand: Command = {
  usage: 'refci init [--hooks] <path>',
  help: [
    '<path>   folder for the new bare repository (must not exist or be empty)',
    '--hooks  also install the pre-receive hook that checks who may push what (refci hook pre-receive);',
    '         given an existing coordination repository, installs only the hook',
  ],
  options: { hooks: { type: 'boolean' } },
  async run(flags, positionals, io) {
    const target = positionals[0];
    if (!target) throw new RefciError('usage', 'the path of the new repository is missing', 'run refci init <path>');
    const exists = fs.existsSync(target) && fs.readdirSync(target).length > 0;
    if (exists && !flags.hooks) throw new RefciError('invalid-input', `${target} exists and is not empty`, 'choose a new path (or add --hooks to install only the hook)');
    if (!exists) {
      const config = await createCoordRepository(target, defaultWorkerId(), systemClock);
      io.out(`initialised coordination repository ${path.resolve(target)}`);
      io.out(`configuration branch refs/heads/config at ${config.slice(0, 12)}, with the working defaults (git clone it to change them)`);
    }
    if (flags.hooks) {
      const hook = installPreReceive(path.resolve(target), process.execPath, path.join(packageRoot(), 'bin', 'refci.js'));
      io.out(`installed ${hook}: pushes are checked per pusher (REFCI_PUSHER from the ssh gate, or GL_USER; docs/deploy.md)`);
    }
    return 0;
  },
};

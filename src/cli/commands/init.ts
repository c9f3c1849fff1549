import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../../errors.ts';
import { initConfigBranch } from '../../config/branch.ts';
import { git } from '../../git/run.ts';
import { systemClock } from '../../host/clock.ts';
import { defaultWorkerId } from '../../host/state-dir.ts';
import type { Command } from '../command.ts';

export const initCommand: Command = {
  usage: 'refci init <path>',
  help: ['<path>  folder for the new bare repository (must not exist or be empty)'],
  options: {},
  async run(_flags, positionals, io) {
    const target = positionals[0];
    if (!target) throw new RefciError('usage', 'the path of the new repository is missing', 'run refci init <path>');
    if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
      throw new RefciError('invalid-input', `${target} exists and is not empty`, 'choose a new path');
    }
    await git(['init', '--quiet', '--bare', target]);
    // Job refs are deleted when archived, but every update is a fast-forward: history is never rewritten.
    await git(['config', 'receive.denyDeletes', 'false'], { cwd: target });
    await git(['config', 'receive.denyNonFastForwards', 'true'], { cwd: target });
    await git(['config', 'core.logAllRefUpdates', 'true'], { cwd: target });
    const config = await initConfigBranch(target, defaultWorkerId(), systemClock);
    io.out(`initialised coordination repository ${path.resolve(target)}`);
    io.out(`configuration branch refs/heads/config at ${config.slice(0, 12)}, with the working defaults (git clone it to change them)`);
    return 0;
  },
};

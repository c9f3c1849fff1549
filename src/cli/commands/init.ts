import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../../errors.ts';
import { createCoordRepository } from '../../coord/create-repository.ts';
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
    const config = await createCoordRepository(target, defaultWorkerId(), systemClock);
    io.out(`initialised coordination repository ${path.resolve(target)}`);
    io.out(`configuration branch refs/heads/config at ${config.slice(0, 12)}, with the working defaults (git clone it to change them)`);
    return 0;
  },
};

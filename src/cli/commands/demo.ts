import { runDemo } from '../../demo/demo.ts';
import type { Command } from '../command.ts';

export const demoCommand: Command = {
  usage: 'refci demo [--dir DIR]',
  help: ['--dir DIR           work in DIR instead of a new temporary folder (kept afterwards either way)'],
  options: { dir: { type: 'string' } },
  async run(flags, _positionals, io) {
    await runDemo({ out: io.out, dir: flags.dir as string | undefined, env: io.env });
    return 0;
  },
};

import type { Command } from '../command.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the whole flow on one machine in a temporary folder, nothing to configure',
  usage: 'refci demo [--keep]',
  help: ['--keep              keep the temporary folder (default: keep; it is printed)'],
  options: { keep: { type: 'boolean' } },
  async run(_flags, _positionals, io) {
    io.out('demo: not yet');
    return 0;
  },
};

import { pushDefaultConfig, readConfigCommit } from '../../coord/config-branch.ts';
import { checkConfigFile } from '../../config/load.ts';
import { describeProblem, type ConfigCheck } from '../../config/schema.ts';
import { RefciError } from '../../errors.ts';
import { CONFIG_REF, CONFIG_REFSPEC } from '../../protocol/refs.ts';
import type { Command, Io } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

function report(check: ConfigCheck, what: string, io: Io): number {
  if (check.ok) {
    io.out(`${what}: valid (${Object.keys(check.config.pipelines).length} pipelines: ${Object.keys(check.config.pipelines).join(', ')})`);
    return 0;
  }
  for (const problem of check.problems) io.err(describeProblem(problem));
  throw new RefciError('invalid-config', `${what} is refused: ${check.problems.length} problem${check.problems.length > 1 ? 's' : ''}`, 'fix the fields above');
}

export const configCommand: Command = {
  usage: 'refci config check [FILE] | config check --coord URL | config show --coord URL | config init --coord URL',
  help: [
    'check FILE          check a config.json before pushing it (files it names are read from beside it)',
    'check --coord URL   check the tip of the configuration branch',
    'show --coord URL    print the configuration in use, defaults filled in, with its commit',
    'init --coord URL    push the working defaults as refs/heads/config, if the repository has none',
    ...coordHelp,
  ],
  options: { ...coordOptions },
  async run(flags, positionals, io) {
    const [sub, file, ...rest] = positionals;
    if (rest.length > 0) throw new RefciError('usage', `unexpected ${rest.join(' ')}`, 'see refci config --help');
    if (sub === 'check' && file) {
      return report(checkConfigFile(file, 'whole'), file, io);
    }
    if (sub !== 'check' && sub !== 'show' && sub !== 'init') {
      throw new RefciError('usage', sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'a subcommand is missing', 'use check, show or init; see refci config --help');
    }
    const context = hostContext(flags, io, 'config', 'status');
    const clone = await openClone(context);
    await clone.fetch([CONFIG_REFSPEC]);
    const tip = await clone.ref(CONFIG_REF);
    if (sub === 'init') {
      if (tip) {
        io.out(`${CONFIG_REF} exists already at ${tip.slice(0, 12)}; nothing done`);
        return 0;
      }
      const oid = await pushDefaultConfig(clone, context.id, context.clock);
      io.out(oid ? `${CONFIG_REF} created at ${oid.slice(0, 12)} with the working defaults` : `${CONFIG_REF} was created by somebody else meanwhile; nothing done`);
      return 0;
    }
    if (!tip) throw new RefciError('not-found', `the coordination repository has no ${CONFIG_REF}`, 'refci config init --coord URL writes the working defaults there');
    const checked = await readConfigCommit(clone.gitdir, tip);
    if (sub === 'check') return report(checked, `configuration ${tip.slice(0, 12)}`, io);
    if (!checked.ok) report(checked, `configuration ${tip.slice(0, 12)}`, io);
    io.out(JSON.stringify({ commit: tip, config: checked.ok ? checked.config : undefined }, null, 2));
    return 0;
  },
};

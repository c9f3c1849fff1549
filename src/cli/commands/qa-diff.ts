import { qaDiffCommand } from '../../collect/qa-diff-command.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { required, type Command } from '../command.ts';

export const qaDiffCommandDef: Command = {
  usage: 'refci qa-diff --base FILE --head FILE [--base-messages FILE --head-messages FILE] [--format json|markdown|html] [--classes FILE] [--excludes FILE] [--warnings]',
  help: [
    '--base FILE         pkgcheck output of the base tree (JsonStream, JsonReporter or XmlReporter)',
    '--head FILE         pkgcheck output of the PR tree, same reporter',
    '--base-messages FILE, --head-messages FILE',
    '                    pkgcheck replay -R JsonReporter of JsonStream base/head: reports show pkgcheck\'s messages',
    '--format F          json (default), markdown (a PR comment) or html (a standalone page)',
    '--classes FILE      keyword -> class map replacing Gentoo CI\'s (pkgcheck2html.conf.json shape)',
    '--excludes FILE     grandfathered findings (Gentoo CI\'s excludes.json shape)',
    '--warnings          count class warn as well as err',
    'exit status: 0 success, 1 new findings that count (failure), 3 an input cannot be read',
  ],
  options: {
    base: { type: 'string' },
    head: { type: 'string' },
    'base-messages': { type: 'string' },
    'head-messages': { type: 'string' },
    format: { type: 'string' },
    classes: { type: 'string' },
    excludes: { type: 'string' },
    warnings: { type: 'boolean' },
  },
  async run(flags, _positionals, io) {
    const { output, verdict } = await qaDiffCommand({
      base: required(flags, 'base', 'qa-diff'),
      head: required(flags, 'head', 'qa-diff'),
      baseMessages: flags['base-messages'] as string | undefined,
      headMessages: flags['head-messages'] as string | undefined,
      format: flags.format as 'json' | 'markdown' | 'html' | undefined,
      classes: flags.classes as string | undefined,
      excludes: flags.excludes as string | undefined,
      countWarnings: Boolean(flags.warnings),
    });
    io.out(output.replace(/\n$/, ''));
    if (verdict.status === 'failure') return EXIT_CODES['verdict-failure'];
    if (verdict.status === 'error') return EXIT_CODES['invalid-input'];
    return EXIT_CODES.ok;
  },
};

import { isRefciError } from '../errors.ts';
import { helpText, parseCommandArgs, type CommandListing, type Io } from './command.ts';
import { EXIT_CODES } from './exit-codes.ts';
import { commands } from './commands/index.ts';
import { observeCoordination, traceToFile } from '../git/observe.ts';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: refci <command> [options]',
    '',
    'A pull-request CI whose only coordination is a Git repository.',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'refci <command> --help shows a command\'s options.',
  ].join('\n');
}

/** Runs one command; every error ends here and becomes one line and a documented exit code. */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? EXIT_CODES.ok : EXIT_CODES.usage;
  }
  const listing: CommandListing | undefined = commands.find((c) => c.name === name);
  if (!listing) {
    io.err(`refci: unknown command ${JSON.stringify(name)}; run refci --help for the list`);
    return EXIT_CODES.usage;
  }
  // Benchmarks count every git process and phase of a run (bench/jobcost.ts); nobody else sets it.
  if (io.env.REFCI_GIT_TRACE) observeCoordination(traceToFile(io.env.REFCI_GIT_TRACE, name));
  try {
    const command = await listing.load();
    const { values, positionals } = parseCommandArgs(name, command, rest);
    if (values.help) {
      io.out(helpText(listing, command));
      return EXIT_CODES.ok;
    }
    return await command.run(values, positionals, io);
  } catch (error) {
    if (isRefciError(error)) {
      io.err(`refci ${name}: ${error.oneLine()}`);
      return EXIT_CODES[error.code];
    }
    io.err(`refci ${name}: internal error: ${(error as Error)?.stack ?? String(error)}`);
    return EXIT_CODES.internal;
  }
}

function defaultIo(): Io {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY),
  };
}

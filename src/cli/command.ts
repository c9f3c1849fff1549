import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RefciError } from '../errors.ts';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Stops a daemon (work, collect) in place of SIGTERM and SIGINT, which are then left alone; for commands run in process. */
  stop?: AbortSignal;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** A row of the command table (commands/index.ts): all `refci --help` needs, and how to load the rest. */
export interface CommandListing {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

/** A command's module: loaded only when that command runs or shows its help. */
export interface Command {
  usage: string;
  /** Flag help lines, shown by --help. */
  help: string[];
  options: Options;
  run(flags: Record<string, string | boolean | string[] | undefined>, positionals: string[], io: Io): Promise<number>;
}

export function parseCommandArgs(name: string, command: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    // node's messages run on with advice about '--'; the first sentence is the problem.
    const problem = (error as Error).message.split(/\.\s/)[0];
    throw new RefciError('usage', problem, `see refci ${name} --help`);
  }
}

export function helpText(listing: CommandListing, command: Command): string {
  return [`usage: ${command.usage}`, '', listing.summary, '', ...command.help.map((line) => `  ${line}`)].join('\n');
}

export function required(flags: Record<string, unknown>, name: string, command: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') {
    throw new RefciError('usage', `--${name} is required`, `see refci ${command} --help`);
  }
  return value;
}

export function integer(flags: Record<string, unknown>, name: string, command: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
    throw new RefciError('usage', `--${name} must be a whole number, not ${JSON.stringify(value)}`, `see refci ${command} --help`);
  }
  return Number(value);
}

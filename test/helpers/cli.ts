import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertBuiltFrom } from './built-cli.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REFCI = path.join(ROOT, 'bin', 'refci.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `refci` binary as a child process, the way cron does. */
export async function refci(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  assertBuiltFrom(ROOT);
  const result = await execa('node', [REFCI, ...args], { reject: false, env: options.env, cwd: options.cwd, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Starts `refci` without waiting, for workers a test kills or races. */
export function spawnRefci(args: string[], options: { env?: Record<string, string> } = {}): ResultPromise {
  assertBuiltFrom(ROOT);
  return execa('node', [REFCI, ...args], { reject: false, env: options.env, stdin: 'ignore', buffer: true });
}

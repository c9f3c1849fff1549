import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';
import { assertBuiltFrom } from './built-cli.ts';
import { ROOT } from './root.ts';

export { ROOT };
export const REFCI = path.join(ROOT, 'bin', 'refci.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Variables set over a copy of this process's environment, as a child process would get them. */
  env?: Record<string, string>;
}

/**
 * Runs a refci command in this process: `main` with the given arguments, an
 * environment of its own (`env` over a copy of process.env) and a stop signal
 * of its own, so commands of tests running at once do not meet. Paths given
 * to it should be absolute: the process's working folder is shared.
 */
export async function refci(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startRefci(args, options).result;
}

export interface RunningRefci {
  /** Ends like a process that got SIGTERM: a daemon stops between jobs or hands its job back. */
  stop: () => void;
  /** Lines written so far, for waiting on one. */
  stdout: string[];
  stderr: string[];
  result: Promise<CliResult>;
  /** Resolves true once stdout has a line containing `text`; false if the command ends first or `timeoutMs` runs out. */
  waitForLine: (text: string, timeoutMs?: number) => Promise<boolean>;
}

/** Starts a refci command in this process without waiting for it, for daemons a test stops. */
export function startRefci(args: string[], options: CliOptions = {}): RunningRefci {
  const controller = new AbortController();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const watchers = new Set<() => void>();
  const io = {
    out: (line: string) => {
      stdout.push(...line.split('\n'));
      for (const check of watchers) check();
    },
    err: (line: string) => void stderr.push(...line.split('\n')),
    env: { ...process.env, ...options.env },
    isTTY: false,
    stop: controller.signal,
  };
  const result = main(args, io).then((exitCode) => ({ exitCode, stdout: stdout.join('\n'), stderr: stderr.join('\n') }));
  const waitForLine = (text: string, timeoutMs = 60_000) =>
    new Promise<boolean>((resolve) => {
      const done = (found: boolean) => {
        clearTimeout(timer);
        watchers.delete(check);
        resolve(found);
      };
      const check = () => {
        if (stdout.some((line) => line.includes(text))) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      watchers.add(check);
      check();
      void result.then(() => done(stdout.some((line) => line.includes(text))), () => done(false));
    });
  return { stop: () => controller.abort(), stdout, stderr, result, waitForLine };
}

/** Runs the real `refci` binary as a child process, the way cron does: for tests where the process is the point. */
export async function refciProcess(args: string[], options: CliOptions & { cwd?: string } = {}): Promise<CliResult> {
  assertBuiltFrom(ROOT);
  const result = await execa('node', [REFCI, ...args], { reject: false, env: options.env, cwd: options.cwd, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Starts `refci` as a child process without waiting, for workers a test kills or races. */
export function spawnRefci(args: string[], options: { env?: Record<string, string> } = {}): ResultPromise {
  assertBuiltFrom(ROOT);
  return execa('node', [REFCI, ...args], { reject: false, env: options.env, stdin: 'ignore', buffer: true });
}

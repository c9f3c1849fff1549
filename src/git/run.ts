import { execa } from 'execa';
import { RefciError } from '../errors.ts';

export interface GitOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface GitOptions {
  cwd?: string;
  input?: string;
  env?: Record<string, string>;
  /** Return a non-zero exit instead of throwing (pushes inspect their own outcome). */
  allowFailure?: boolean;
  timeoutMs?: number;
}

/**
 * The one place refci spawns git. Prompts are off so that a missing credential
 * fails at once instead of hanging a cron job; output is in the C locale so
 * that porcelain parsing does not meet a translation.
 */
export async function git(args: string[], options: GitOptions = {}): Promise<GitOutput> {
  const result = await execa('git', args, {
    cwd: options.cwd,
    input: options.input,
    reject: false,
    stripFinalNewline: false,
    timeout: options.timeoutMs ?? 10 * 60_000,
    env: {
      GIT_TERMINAL_PROMPT: '0',
      GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
      LC_ALL: 'C',
      ...options.env,
    },
  });
  const output = { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? -1 };
  if (output.exitCode !== 0 && !options.allowFailure) {
    throw gitFailure(args, output);
  }
  return output;
}

/** Like `git`, for binary output (cat-file --batch). */
export async function gitBuffer(args: string[], options: { cwd: string; input: string }): Promise<Buffer> {
  const result = await execa('git', args, {
    cwd: options.cwd,
    input: options.input,
    reject: false,
    encoding: 'buffer',
    stripFinalNewline: false,
    env: { LC_ALL: 'C' },
  });
  if (result.exitCode !== 0) {
    throw gitFailure(args, { stdout: '', stderr: Buffer.from(result.stderr as Uint8Array).toString(), exitCode: result.exitCode ?? -1 });
  }
  return Buffer.from(result.stdout as Uint8Array);
}

export function gitFailure(args: string[], output: GitOutput): RefciError {
  const detail = firstMeaningfulLine(output.stderr) || `exit code ${output.exitCode}`;
  return new RefciError(
    'git',
    `git ${commandWords(args)} failed: ${detail}`,
    'check that the repository URL is right and reachable from this host (refci doctor checks it)',
    { args, exitCode: output.exitCode },
  );
}

function firstMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? '';
}

/** Identity for commits refci writes through the git CLI (merges in worktrees). */
export function gitIdentityEnv(name: string, email: string): Record<string, string> {
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
}

/** The subcommand and its first argument, without `-c name=value` settings. */
function commandWords(args: string[]): string {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    if (args[i] === '-c') i++;
    else if (!args[i].startsWith('-')) words.push(args[i]);
  }
  return words.join(' ');
}

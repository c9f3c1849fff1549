import { simpleGit } from 'simple-git';
import { RefciError } from '../errors.ts';
import { processEnd, processStart } from './observe.ts';
import { scrubSecrets } from '../protocol/scrub.ts';
import { removeStaleLock, repositoriesOf } from './stale-lock.ts';

export interface GitOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** stdout as bytes, for binary output (cat-file --batch). */
  raw: Buffer;
}

export interface GitOptions {
  cwd?: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Return a non-zero exit instead of throwing (pushes and probes inspect their own outcome). */
  allowFailure?: boolean;
  /** Overall limit; network calls also stop when no data flows for `stallMs`. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The limits every git call gets unless the caller says otherwise; `configureGitLimits` changes them for a host. */
const limits = { timeoutMs: 10 * 60_000, stallMs: 120_000, connectSec: 30 };

export function configureGitLimits(next: Partial<typeof limits>): void {
  Object.assign(limits, next);
}

/** Variables of the host's environment that git may see: identity and ssh settings a deployment sets on purpose. */
const PASSED_GIT_VARIABLES = new Set([
  'GIT_SSH_COMMAND',
  'GIT_SSH',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_TRACE',
  'GIT_TRACE_PACKET',
]);

/** Programs git would start for a person (editors, pagers, password prompts): refci never wants one. */
const INTERACTIVE_VARIABLES = new Set(['EDITOR', 'VISUAL', 'PAGER', 'SSH_ASKPASS', 'PREFIX']);

/**
 * The environment git and the tools git itself would start (ssh-keygen) run
 * with: the host's, without interactive programs and without GIT_ variables a
 * deployment did not set on purpose, never prompting, in the C locale.
 */
export function gitEnvironment(extra: Record<string, string> | undefined, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || INTERACTIVE_VARIABLES.has(name)) continue;
    if (!name.startsWith('GIT_') || PASSED_GIT_VARIABLES.has(name)) env[name] = value;
  }
  return {
    ...env,
    // A missing credential fails at once instead of hanging a cron job on a prompt.
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? `ssh -o BatchMode=yes -o ConnectTimeout=${limits.connectSec}`,
    // A server that accepts the connection and then sends nothing is given up on.
    GIT_HTTP_LOW_SPEED_LIMIT: '1',
    GIT_HTTP_LOW_SPEED_TIME: String(Math.ceil(limits.stallMs / 1000)),
    // Porcelain and error parsing never meet a translation.
    LC_ALL: 'C',
    ...extra,
  };
}

/**
 * The one place refci runs git, through simple-git: every call gets the same
 * environment (no prompt, ssh BatchMode with a connect timeout, low-speed
 * limits, the C locale), an overall timeout and the caller's abort signal.
 * simple-git's guard against `--upload-pack` and similar options stays on:
 * a value that reached argv by mistake cannot run a command.
 */
export async function git(args: string[], options: GitOptions = {}): Promise<GitOutput> {
  const output = await runGit(args, options);
  // A lock left by a git killed mid-update (its holder is gone) would fail this command for ever: removed, the
  // command runs once more. That includes a push to a repository on this host, whose receive-pack dies with a
  // killed pusher: a push that failed on a lock changed nothing (refci's pushes of several refs are atomic), so
  // the second one is judged under the same leases as the first. Only locks inside the repositories the command
  // works on are touched (a remote host's path is not found here; a hostile server's message names nothing else).
  // The lock's age is read against the file system's clock, which is the wall clock.
  if (output.exitCode !== 0 && removeStaleLock(output.stderr, Date.now(), repositoriesOf(options.cwd, args))) return checked(args, await runGit(args, options), options);
  return checked(args, output, options);
}

function checked(args: string[], output: GitOutput, options: GitOptions): GitOutput {
  if (output.exitCode !== 0 && !options.allowFailure) throw gitFailure(args, output);
  return output;
}

async function runGit(args: string[], options: GitOptions): Promise<GitOutput> {
  const env = gitEnvironment(options.env);
  const timeout = AbortSignal.timeout(options.timeoutMs ?? limits.timeoutMs);
  const abort = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let finished: { exitCode: number; stdOut: Buffer[]; stdErr: Buffer[] } | undefined;
  // git started and ended without an exit code: a signal ended it.
  let killed = false;
  const runner = simpleGit({
    baseDir: options.cwd ?? process.cwd(),
    maxConcurrentProcesses: 1,
    trimmed: false,
    abort,
    timeout: { block: limits.stallMs },
    // simple-git ends a call 50 ms after git exits even when its output is not read to the end yet:
    // on a loaded host that lost porcelain lines and rev-parse answers. Wait for the pipes to close;
    // only a process whose pipes a lingering child keeps open (an ssh ControlMaster) waits the 5 s.
    completion: { onClose: true, onExit: 5000 },
    // simple-git writes no empty input and then leaves stdin open, so a git that reads it (mktree of nothing) would wait for ever: an empty buffer closes it.
    input: () => (options.input === undefined || options.input.length === 0 ? Buffer.alloc(0) : options.input),
    allowEnvironment: Object.keys(env).filter((name) => name.startsWith('GIT_')),
    // The ssh command and a global configuration file are the deployment's own choices (docs/deploy.md).
    unsafe: { allowUnsafeSshCommand: true, allowUnsafeConfigPaths: true },
    // The exit code and both streams are read below; a non-zero exit is not an exception here.
    errors: (error, result) => {
      finished = result;
      // git ran and exited: its code is the answer. Anything else (not started, killed, stalled) is an error.
      const exited = typeof result.exitCode === 'number' && result.exitCode >= 0 && result.exitCode < 256;
      if (!exited && !error) killed = true;
      return exited ? undefined : (error ?? new Error('git ended without an exit code'));
    },
  }).env(env);
  const started = processStart();
  try {
    await runner.raw(args);
  } catch (error) {
    processEnd(subcommand(args), started);
    if (abort.aborted) {
      const why = timeout.aborted ? `timed out after ${Math.round((options.timeoutMs ?? limits.timeoutMs) / 1000)}s` : 'stopped';
      throw new RefciError('git', `git ${commandWords(args)} ${why}`, 'check that the repository is reachable and answers (refci doctor checks it)', { args });
    }
    // Started and then ended by a signal (a dropped link can bring SIGPIPE): the repository, not the install, is the suspect.
    if (killed) throw new RefciError('git', `git ${commandWords(args)} was ended by a signal before it finished`, 'check that the repository is reachable and answers (refci doctor checks it)', { args });
    throw new RefciError('git', `git ${commandWords(args)} could not run: ${(error as Error).message.split('\n')[0]}`, 'install git and check the arguments', { args });
  }
  processEnd(subcommand(args), started);
  const raw = Buffer.concat(finished?.stdOut ?? []);
  const output: GitOutput = {
    stdout: raw.toString('utf8'),
    stderr: Buffer.concat(finished?.stdErr ?? []).toString('utf8'),
    exitCode: finished?.exitCode ?? -1,
    raw,
  };
  return output;
}

export function gitFailure(args: string[], output: Pick<GitOutput, 'stderr' | 'exitCode'>): RefciError {
  const detail = failureDetail(output.stderr) || `exit code ${output.exitCode}`;
  return new RefciError(
    'git',
    `git ${commandWords(args)} failed: ${detail}`,
    'check that the repository URL is right and reachable from this host (refci doctor checks it)',
    { args, exitCode: output.exitCode },
  );
}

/**
 * git's own error line, with the coordination repository's reason after it
 * when its gate said one (`refci: ...`: over HTTP git shows it as `remote:`,
 * over ssh it comes on stderr as the gate wrote it), since git's line alone
 * ("returned error: 403", "Could not read from remote repository") does not
 * say why.
 */
export function failureDetail(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const error = lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? '';
  const reason = lines.map((line) => line.replace(/^remote:\s*/, '')).find((line) => line.startsWith('refci: ') && !error.includes(line));
  return reason ? `${error} (${reason})` : error;
}

/** The subcommand alone (`push`, `cat-file`), for counting processes. */
function subcommand(args: string[]): string {
  return commandWords(args).split(' ')[0] || 'git';
}

/**
 * The subcommand and its first argument, without `-c name=value` settings.
 * A URL's password becomes `[redacted]`: the line goes to logs and cron mail
 * (git's own messages leave credentials out likewise).
 */
function commandWords(args: string[]): string {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 2; i++) {
    if (args[i] === '-c') i++;
    else if (!args[i].startsWith('-')) words.push(args[i]);
  }
  return scrubSecrets(words.join(' '));
}

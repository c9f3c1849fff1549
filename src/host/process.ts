import { execa } from 'execa';
import { scrubBytes, SecretScrubber } from '../protocol/scrub.ts';
import { CappedBuffer } from './capped-buffer.ts';

export interface StepRun {
  argv: string[];
  cwd: string;
  /** Variables the step adds (a step's `env`) to `hostEnv`. */
  env?: Record<string, string>;
  /** The environment the step starts from; process.env by default. */
  hostEnv?: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal: AbortSignal;
  logCap: number;
  stdoutCap?: number;
  /** Fed to the step's standard input; without it, standard input is closed. */
  input?: string | Uint8Array;
  now: () => number;
  /** Each piece of the log as it is kept (scrubbed, in order), for a live view; the same bytes the outcome's log is cut from. */
  onLog?: (chunk: Buffer) => void;
}

export interface StepOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  spawnError?: string;
  durationMs: number;
  log: Buffer;
  logBytes: number;
  logTruncated: boolean;
  stdout?: Buffer;
  stdoutTruncated: boolean;
}

/**
 * Runs one step in its own process group, so a timeout or a cancel kills the
 * whole tree it started (a tool's helpers included), not just the first
 * process. Output is captured with caps: the log interleaves stdout and
 * stderr line by line; stdout is kept apart when it is an artifact. The log
 * is scrubbed of secret shapes line by line before it is kept
 * (protocol/scrub.ts); an artifact is the tool's output as it is.
 */
export async function runStep(run: StepRun): Promise<StepOutcome> {
  const started = run.now();
  const log = new CappedBuffer(run.logCap);
  // One scrubber per stream: a line of stderr arriving in the middle of a stdout line must not split a secret in two.
  const scrubbers = { stdout: new SecretScrubber(), stderr: new SecretScrubber() };
  const keep = (scrubbed: Buffer) => {
    if (scrubbed.length === 0) return;
    log.push(scrubbed);
    run.onLog?.(scrubbed);
  };
  const stdout = run.stdoutCap === undefined ? undefined : new CappedBuffer(run.stdoutCap);
  let timedOut = false;
  let cancelled = false;
  const child = execa(run.argv[0], run.argv.slice(1), {
    cwd: run.cwd,
    env: { ...(run.hostEnv ?? process.env), ...run.env },
    extendEnv: false,
    detached: true,
    reject: false,
    buffer: false,
    ...(run.input !== undefined ? { input: run.input } : { stdin: 'ignore' as const }),
  });
  const killTree = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  };
  const onAbort = () => {
    cancelled = true;
    killTree();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killTree();
  }, run.timeoutMs);
  if (run.signal.aborted) onAbort();
  run.signal.addEventListener('abort', onAbort, { once: true });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout?.push(chunk);
    if (!stdout) keep(scrubbers.stdout.push(chunk));
  });
  child.stderr?.on('data', (chunk: Buffer) => keep(scrubbers.stderr.push(chunk)));
  const result = await child;
  clearTimeout(timer);
  run.signal.removeEventListener('abort', onAbort);
  // Anything the step left behind in its group goes too.
  killTree();
  const spawnError = result.failed && result.exitCode === undefined && !result.signal ? result.originalMessage || result.message : undefined;
  keep(scrubbers.stdout.end());
  keep(scrubbers.stderr.end());
  if (spawnError) keep(scrubBytes(Buffer.from(`[refci: could not start ${run.argv[0]}: ${spawnError}]\n`)));
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut,
    cancelled,
    spawnError,
    durationMs: Math.max(0, run.now() - started),
    log: log.contents(),
    logBytes: log.total,
    logTruncated: log.truncated,
    stdout: stdout?.contents(),
    stdoutTruncated: stdout?.truncated ?? false,
  };
}

import { execa } from 'execa';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { freePort, listening } from './ports.ts';

export interface GitDaemon {
  /** git-daemon's own pid: its finished connections' CPU time is read from it (bench/git-daemon.ts). */
  pid: number;
  url: (repo: string) => string;
  stop: () => Promise<void>;
}

/** A real git daemon on 127.0.0.1 and a free port, serving `baseDir` with pushes enabled; for tests and the benchmarks. */
export async function startGitDaemon(baseDir: string): Promise<GitDaemon> {
  const port = await freePort();
  // git-daemon itself, not `git daemon`, which would only wait for it as its child.
  const program = path.join((await execa('git', ['--exec-path'])).stdout.trim(), 'git-daemon');
  const daemon = execa(program, ['--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, '--export-all', '--enable=receive-pack', `--base-path=${baseDir}`, baseDir], { reject: false });
  const stop = async () => {
    daemon.kill('SIGTERM');
    await daemon;
  };
  for (let i = 0; i < 100 && !(await listening(port)); i++) {
    if (daemon.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!(await listening(port))) {
    await stop();
    throw new Error(`git daemon did not listen on ${port}: ${(await daemon).stderr}`);
  }
  return { pid: daemon.pid!, url: (repo) => `git://127.0.0.1:${port}/${repo}`, stop };
}

/** `startGitDaemon`, stopped when the test ends. */
export async function gitDaemon(t: ExecutionContext, baseDir: string): Promise<GitDaemon> {
  const daemon = await startGitDaemon(baseDir);
  t.teardown(() => daemon.stop());
  return daemon;
}

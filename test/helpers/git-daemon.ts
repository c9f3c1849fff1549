import { execa, type ResultPromise } from 'execa';
import { freePort, listening } from './ports.ts';
import type { ExecutionContext } from 'ava';

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`git daemon did not listen on ${port}`);
}

/** A real `git daemon` on 127.0.0.1 serving `baseDir` with pushes enabled; stopped at teardown. */
export async function gitDaemon(t: ExecutionContext, baseDir: string): Promise<{ url: (repo: string) => string }> {
  const port = await freePort();
  const daemon: ResultPromise = execa(
    'git',
    ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, '--export-all', '--enable=receive-pack', `--base-path=${baseDir}`, baseDir],
    { reject: false },
  );
  t.teardown(() => {
    daemon.kill('SIGTERM');
  });
  await waitForPort(port);
  return { url: (repo) => `git://127.0.0.1:${port}/${repo}` };
}

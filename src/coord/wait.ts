import chokidar from 'chokidar';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Sleeps between polls. When the coordination repository is a local path, a
 * change to its refs wakes the worker at once (chokidar) instead of waiting
 * out the backoff.
 */
export async function waitForWork(coord: string, ms: number, stop?: AbortSignal): Promise<void> {
  // An abort that came before this call fires no event: without this check the wait would run its full length.
  if (stop?.aborted) return;
  const refsDir = path.join(coord, 'refs', 'ci');
  const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(coord) && fs.existsSync(path.join(coord, 'HEAD'));
  let watcher: ReturnType<typeof chokidar.watch> | undefined;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop?.addEventListener('abort', done, { once: true });
    if (local) {
      watcher = chokidar.watch([refsDir, path.join(coord, 'packed-refs')], { ignoreInitial: true, depth: 3 });
      watcher.on('all', done);
    }
  });
  // Closed before returning: a watcher still open keeps a stopping daemon's event loop alive.
  await watcher?.close();
}

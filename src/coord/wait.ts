import chokidar from 'chokidar';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Sleeps between polls. When the coordination repository is a local path, a
 * change to its refs wakes the worker at once (chokidar) instead of waiting
 * out the backoff.
 */
export async function waitForWork(coord: string, ms: number, stop?: AbortSignal): Promise<void> {
  const refsDir = path.join(coord, 'refs', 'ci');
  const local = !/^[a-z][a-z0-9+.-]*:\/\//i.test(coord) && fs.existsSync(path.join(coord, 'HEAD'));
  await new Promise<void>((resolve) => {
    let watcher: ReturnType<typeof chokidar.watch> | undefined;
    const done = () => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      void watcher?.close();
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop?.addEventListener('abort', done, { once: true });
    if (local) {
      watcher = chokidar.watch([refsDir, path.join(coord, 'packed-refs')], { ignoreInitial: true, depth: 3 });
      watcher.on('all', done);
    }
  });
}

import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Removes a folder whatever a pipeline step left in it: a step may drop the
 * write or search permission of its own folders (`chmod 000`), which stops a
 * plain recursive removal for a worker that is not root. Permissions are
 * given back, folder by folder, and the removal tried again. Never follows
 * symlinks.
 */
export function removeFolder(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  } catch {
    // Below: permissions first.
  }
  restorePermissions(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The same, by `rm -rf` in a process of its own: a job's trees at the size of
 * ::gentoo are 100,000 files and more, whose removal in this process would
 * hold the worker's thread (and its heartbeats) for a minute on a busy disk,
 * and Node's own asynchronous removal starts every file's at once, which took
 * hundreds of megabytes (docs/benchmarks.md). Where `rm` cannot run, or
 * leaves something behind (a folder a step made unreadable), the removal
 * above finishes the work.
 */
export async function removeFolderAsync(dir: string): Promise<void> {
  const rm = await execa('rm', ['-rf', '--', dir], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
  if (rm.exitCode === 0 && !fs.existsSync(dir)) return;
  removeFolder(dir);
}

function restorePermissions(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch {
    return;
  }
  if (!stat.isDirectory()) return;
  fs.chmodSync(dir, 0o700);
  for (const name of fs.readdirSync(dir)) restorePermissions(path.join(dir, name));
}

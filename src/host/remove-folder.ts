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
 * The same, with the removal's file operations off the process's own thread:
 * a job's trees at the size of ::gentoo are 100,000 files and more, whose
 * synchronous removal would stop the worker's heartbeats for minutes on a
 * busy disk.
 */
export async function removeFolderAsync(dir: string): Promise<void> {
  try {
    await fs.promises.rm(dir, { recursive: true, force: true });
    return;
  } catch {
    // Below: permissions first.
  }
  restorePermissions(dir);
  await fs.promises.rm(dir, { recursive: true, force: true });
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

import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/**
 * Where a host keeps its private clone, mirrors and lease observations. One
 * folder per coordination repository and role, so several workers can share a
 * machine. REFCI_STATE_DIR moves the whole tree. The home folder is the one
 * the command's environment names, as for token files (forge/token.ts): a
 * command run in process with an environment of its own keeps out of the
 * process's home.
 */
export function stateDirFor(role: string, coord: string, id: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || os.homedir();
  const root = env.REFCI_STATE_DIR || path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'refci');
  const repo = createHash('sha256').update(coord).digest('hex').slice(0, 12);
  return path.join(root, repo, `${role}-${id}`);
}

export function defaultWorkerId(): string {
  return os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'worker';
}

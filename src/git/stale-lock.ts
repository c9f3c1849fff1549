import fs from 'node:fs';
import path from 'node:path';

/**
 * git holds a `.lock` file beside a ref, `packed-refs` or an index for the
 * milliseconds of one update (it waits at most a second for packed-refs
 * itself). A git process killed with SIGKILL leaves its lock behind, and every
 * later command that updates the same file then fails with "Unable to create
 * '….lock': File exists" until a person removes it: a worker or collector
 * restarted after a kill would fail every round for ever. A lock this much
 * older than any update takes is one nobody holds.
 */
export const STALE_LOCK_MS = 10_000;

const LOCK_IN_USE = /Unable to create '([^'\n]+\.lock)': File exists/;

/** The lock file git's error names as in the way, if any. */
export function lockInTheWay(stderr: string): string | undefined {
  return LOCK_IN_USE.exec(stderr)?.[1];
}

/** Whether a lock last touched at `modifiedMs` is left over from a process that died, at `nowMs`. */
export function isStaleLock(modifiedMs: number, nowMs: number): boolean {
  return nowMs - modifiedMs >= STALE_LOCK_MS;
}

/**
 * Removes the lock git's error names when it is stale and inside one of
 * `repositories` (the repository the command ran in, a repository on this
 * host it pushed to or fetched from); says whether it did (the command is
 * then worth running again). A fresh lock belongs to a live process and
 * stays. The path comes from git's output, which carries what a remote
 * says: a hostile server could name any `.lock` file of this host (a cron
 * line's `flock` file), so nothing outside those repositories is touched.
 */
export function removeStaleLock(stderr: string, nowMs: number, repositories: string[]): string | undefined {
  const named = lockInTheWay(stderr);
  if (!named) return undefined;
  const file = path.resolve(named);
  if (!repositories.some((repo) => file.startsWith(`${path.resolve(repo)}${path.sep}`))) return undefined;
  let modifiedMs: number;
  try {
    modifiedMs = fs.lstatSync(file).mtimeMs;
  } catch {
    // Gone already, or on another host (a remote's path in its answer).
    return undefined;
  }
  if (!isStaleLock(modifiedMs, nowMs)) return undefined;
  try {
    fs.unlinkSync(file);
  } catch {
    return undefined;
  }
  return file;
}

/**
 * The repositories on this host a git command works on: its working folder
 * when given, and any local path or file:// URL among its arguments; only
 * folders that are repositories (a HEAD file, or a .git inside) count.
 */
export function repositoriesOf(cwd: string | undefined, args: string[]): string[] {
  const candidates = [...(cwd ? [cwd] : []), ...args.filter((arg) => arg.startsWith('/') || arg.startsWith('file://')).map((arg) => arg.replace(/^file:\/\//, ''))];
  return candidates.filter((dir) => fs.existsSync(path.join(dir, 'HEAD')) || fs.existsSync(path.join(dir, '.git')));
}

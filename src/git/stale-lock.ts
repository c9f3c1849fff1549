import fs from 'node:fs';

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
 * Removes the lock git's error names when it is on this host and stale;
 * says whether it did (the command is then worth running again). A fresh
 * lock belongs to a live process and stays.
 */
export function removeStaleLock(stderr: string, nowMs: number): string | undefined {
  const file = lockInTheWay(stderr);
  if (!file) return undefined;
  let modifiedMs: number;
  try {
    modifiedMs = fs.statSync(file).mtimeMs;
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

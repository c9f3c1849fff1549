import type { SeenLocks } from '../protocol/lease.ts';
import { loadStateFile, saveStateFile } from './state-file.ts';

const SEEN_LOCKS_FILE = 'seen-locks.json';

/**
 * The lock tips this host has seen and since when, on its own clock, kept on
 * disk so a cron-driven worker can judge a lease across runs. A missing or
 * unreadable file only makes the host more patient: it starts counting anew.
 */
export function loadSeenLocks(stateDir: string): SeenLocks {
  return loadStateFile<SeenLocks>(stateDir, SEEN_LOCKS_FILE, () => ({}));
}

export function saveSeenLocks(stateDir: string, seen: SeenLocks): void {
  saveStateFile(stateDir, SEEN_LOCKS_FILE, seen);
}

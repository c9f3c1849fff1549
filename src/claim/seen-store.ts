import fs from 'node:fs';
import path from 'node:path';
import type { SeenLocks } from '../protocol/lease.ts';

/**
 * The lock tips this host has seen and since when, on its own clock, kept on
 * disk so a cron-driven worker can judge a lease across runs. A missing or
 * unreadable file only makes the host more patient: it starts counting anew.
 */
export function loadSeenLocks(stateDir: string): SeenLocks {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(stateDir, 'seen-locks.json'), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

export function saveSeenLocks(stateDir: string, seen: SeenLocks): void {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, 'seen-locks.json');
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(seen));
  fs.renameSync(temp, file);
}

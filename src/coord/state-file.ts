import fs from 'node:fs';
import path from 'node:path';

/**
 * Small JSON files a host keeps in its state dir between cron runs (ETag cache, comment cursor,
 * statuses already posted). Losing one only costs requests or repeats an idempotent post, so a
 * missing or unreadable file is read as the fallback. Never holds a token.
 */
export function loadStateFile<T extends object>(stateDir: string, name: string, fallback: () => T): T {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(stateDir, name), 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? ({ ...fallback(), ...parsed } as T) : fallback();
  } catch {
    return fallback();
  }
}

let written = 0;

/** A temporary name next to `file` no other writer uses: not another process (pid), nor another command in this one. */
export function uniqueTempName(file: string): string {
  written += 1;
  return `${file}.${process.pid}-${written}.tmp`;
}

/** Written to a temporary file beside it and renamed, so a crash or a reader never sees half a file. */
export function writeFileAtomically(file: string, content: string | Uint8Array, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = uniqueTempName(file);
  try {
    fs.writeFileSync(temp, content, { mode });
    fs.renameSync(temp, file);
  } catch (error) {
    // A full disk must not leave half-written temporary files behind.
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** A state file: JSON, readable by this user only. */
export function saveStateFile(stateDir: string, name: string, value: unknown): void {
  writeFileAtomically(path.join(stateDir, name), `${JSON.stringify(value)}\n`, 0o600);
}

/** A file name for a forge repository: `forge-github-gentoo_gentoo.json`. */
export function forgeStateName(prefix: string, kind: string, repo: string): string {
  return `${prefix}-${kind}-${repo.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

import fs from 'node:fs';
import path from 'node:path';

/** Newest modification time of any file below `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

let checked = false;

/**
 * Tests that spawn bin/refci.js run dist/, which `npm test` rebuilds first
 * (pretest). Run by hand (`npx ava ...`) after an edit, they would test old
 * code: say so instead. Building here is no fix, as test files run in parallel.
 */
export function assertBuiltFrom(root: string): void {
  if (checked) return;
  const entry = path.join(root, 'dist', 'main.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run npm run build (npm test does it first)`);
  if (newestMtime(path.join(root, 'src')) > fs.statSync(entry).mtimeMs) {
    throw new Error('dist/ is older than src/: run npm run build (npm test does it first)');
  }
  checked = true;
}

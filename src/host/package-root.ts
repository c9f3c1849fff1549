import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of refci's package.json: the launcher (bin/refci.js) says so in
 * REFCI_ROOT, else the nearest package.json above this file. Searching rather
 * than counting `..` keeps it right both from source (src/host/) and from a
 * bundled chunk in dist/, whose depth differs.
 */
export function packageRoot(): string {
  if (process.env.REFCI_ROOT) return process.env.REFCI_ROOT;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..');
  }
}

#!/usr/bin/env node
// Launcher: runs the TypeScript sources with plain node right after `npm install`.
// The sources are bundled once with esbuild into a cache keyed by their mtimes,
// so a start costs what plain JavaScript costs and an edit is picked up at once.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.env.REFCI_ROOT ??= root;

function sourceStamp(dir) {
  const hash = createHash('sha256');
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(`${full}:${fs.statSync(full).mtimeMs}\n`);
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 16);
}

const cacheDir = path.join(root, 'node_modules', '.cache', 'refci');
const bundle = path.join(cacheDir, `cli-${sourceStamp(path.join(root, 'src'))}.mjs`);
if (!fs.existsSync(bundle)) {
  const { build } = await import('esbuild');
  fs.mkdirSync(cacheDir, { recursive: true });
  const temp = `${bundle}.${process.pid}.tmp`;
  await build({
    entryPoints: [path.join(root, 'src', 'cli', 'main.ts')],
    outfile: temp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  fs.renameSync(temp, bundle);
  for (const old of fs.readdirSync(cacheDir)) {
    if (old.startsWith('cli-') && old.endsWith('.mjs') && path.join(cacheDir, old) !== bundle) fs.rmSync(path.join(cacheDir, old), { force: true });
  }
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));

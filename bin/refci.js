#!/usr/bin/env node
// Launcher: runs the CLI that `npm run build` (npm's `prepare` script) bundled
// into dist/. It never compiles and never writes: an installed copy may be
// read-only and owned by another user (installed as root, run as `refci`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The package root, where code run from dist/ finds files shipped with the package.
process.env.REFCI_ROOT ??= root;

const entry = path.join(root, 'dist', 'main.js');
if (fs.existsSync(entry)) {
  const { main } = await import(pathToFileURL(entry).href);
  const code = await main(process.argv.slice(2));
  // The command is done: exit now, once the output is written. Each git call leaves a timer that would keep
  // the process alive for up to 5 s more (the runner's wait for a process whose pipes a lingering child holds).
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit(code);
} else {
  // 70 is refci's internal-error exit code (README): the install is incomplete, not the user's input.
  process.stderr.write(`refci: ${entry} is missing: the CLI is not built; run npm run build in ${root}\n`);
  process.exitCode = 70;
}

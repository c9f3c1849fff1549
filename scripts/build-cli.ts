/**
 * `npm run build`, also run by npm as the `prepare` script on `npm install` in
 * a checkout and before `npm pack`: bundles the CLI into dist/ once, so the
 * launcher (bin/refci.js) never compiles nor writes at run time; an installed
 * copy may be read-only and owned by another user.
 *
 * Code splitting puts each command in its own chunk, loaded by the dynamic
 * import() of its row in src/cli/commands/index.ts: `refci --help` loads the
 * entry and the command table only. Dependencies are bundled too: a process
 * that resolved and read the hundreds of files of zod, execa and
 * isomorphic-git in node_modules spent 0.3 s of CPU on it at every start, and
 * cron, the pre-receive hook and every worker start often. The banner gives the
 * bundled CommonJS code the `require` an ES module lacks.
 */
import { build } from 'esbuild';
import { REQUIRE_BANNER } from './require-banner.ts';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
// Built beside dist/ and swapped in whole: a failed build leaves the last good one.
const temp = path.join(root, `dist.${process.pid}.tmp`);

try {
  await build({
    entryPoints: { main: path.join(root, 'src', 'cli', 'main.ts') },
    outdir: temp,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    banner: REQUIRE_BANNER,
  });
  fs.rmSync(dist, { recursive: true, force: true });
  fs.renameSync(temp, dist);
} finally {
  fs.rmSync(temp, { recursive: true, force: true });
}

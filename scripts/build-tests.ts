/**
 * `npm test` runs the suite from JavaScript bundles of the test files, built
 * here into test-built/ (one bundle per test file, src/ and the helpers
 * inlined, packages external). Loading TypeScript through tsx costs every
 * ava worker about a second of CPU, once per test file, a hundred times a run.
 * Bundles sit at the same depth as their sources (test-built/<area>/ for
 * test/<area>/), so paths a test derives from its own location hold; source
 * maps point failures back at the .ts lines.
 *
 * `npx ava test/<area>/<file>.test.ts` still runs one file straight from
 * TypeScript (the package.json ava settings); ava-bundles.config.mjs is
 * the configuration for the bundles.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'test-built');
const temp = path.join(root, `test-built.${process.pid}.tmp`);

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

try {
  await build({
    entryPoints: testFiles(path.join(root, 'test')),
    outdir: temp,
    outbase: path.join(root, 'test'),
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'error',
  });
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(temp, out);
} finally {
  fs.rmSync(temp, { recursive: true, force: true });
}

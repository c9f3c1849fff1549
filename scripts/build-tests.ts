/**
 * `npm test` runs the suite from JavaScript bundles of the test files, built
 * here into test-built/ (src/, the helpers and the packages inlined).
 * Loading TypeScript through tsx costs every ava worker about a second of
 * CPU, once per test file; resolving and reading the hundreds of files of
 * the packages from node_modules (zod, execa, isomorphic-git, octokit)
 * cost it about a quarter of a second more (docs/benchmarks.md), as it
 * costs the CLI (scripts/build-cli.ts).
 * ava stays outside: the bundle must register its tests with the very ava
 * the worker runs. So do playwright-core, which finds its own files on disk,
 * and GitHub's API description, megabytes of JSON read by one test.
 *
 * Each ava worker process also costs about a second of CPU to start (node,
 * ava's own modules, the bundle), so the test files of one area are bundled
 * together, up to FILES_PER_BUNDLE in test-built/<area>/<area>.<n>.test.mjs,
 * one worker for each bundle. More would start too many tests at once in one
 * worker: ava starts every concurrent test of a file together, and each
 * would report the time it spent waiting for the others. A file keeps a
 * bundle, and a worker, of its own when it is an
 * end-to-end test, starts real refci processes, daemons or a browser on
 * purpose (OWN_WORKER), or has hooks (`test.before`, `test.afterEach`...),
 * which would otherwise run around the tests of the other files. ava runs a
 * bundle's serial tests before its concurrent ones, as it does for one file,
 * so a serial test still runs alone.
 *
 * Bundles sit at the same depth as their sources (test-built/<area>/ for
 * test/<area>/), so paths a test derives from its own location hold; source
 * maps point failures back at the .ts lines.
 *
 * `npx ava test/<area>/<file>.test.ts` still runs one file straight from
 * TypeScript (the package.json ava settings); ava-bundles.config.mjs is
 * the configuration for the bundles.
 */
import { build, type Plugin } from 'esbuild';
import { REQUIRE_BANNER } from './require-banner.ts';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tests = path.join(root, 'test');
const out = path.join(root, 'test-built');
const temp = path.join(root, `test-built.${process.pid}.tmp`);

/**
 * Files, relative to test/, that start refci processes, daemons or a browser,
 * or (collect/signed-results) run long enough to hold up a bundle: each keeps
 * its own worker.
 */
const OWN_WORKER = new Set([
  'claim/race.test.ts',
  'claim/crash.test.ts',
  'cli/signals.test.ts',
  'cli/install.test.ts',
  'coord/receive-hook.test.ts',
  'coord/archive.test.ts',
  'collect/signed-results.test.ts',
  'collect/error-report.browser.test.ts',
  'qa/html-report.browser.test.ts',
  'git/http-transport.test.ts',
]);

const FILES_PER_BUNDLE = 4;

/** A hook in any form (`test.before`, `test.serial.afterEach.always`...); a false match only costs a worker. */
const HOOK = /\.(before|after)(Each)?\b/;

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function ownWorker(file: string): boolean {
  const name = path.relative(tests, file);
  return name.startsWith('e2e/') || OWN_WORKER.has(name) || HOOK.test(fs.readFileSync(file, 'utf8'));
}

const alone: string[] = [];
const byArea = new Map<string, string[]>();
for (const file of testFiles(tests).sort()) {
  const area = path.relative(tests, path.dirname(file));
  if (ownWorker(file)) alone.push(file);
  else byArea.set(area, [...(byArea.get(area) ?? []), file]);
}

/** Bundles by name (`<area>/<area>.<n>`); an area's files are dealt out in turn, so that neighbours share no bundle. */
const bundles = new Map<string, string[]>();
for (const [area, files] of byArea) {
  const count = Math.ceil(files.length / FILES_PER_BUNDLE);
  files.forEach((file, index) => {
    // Files straight in test/ make `root.<n>`: a name starting with a dot would be skipped by ava.
    const name = path.join(area, `${area === '' ? 'root' : path.basename(area)}.${(index % count) + 1}.test`);
    bundles.set(name, [...(bundles.get(name) ?? []), file]);
  });
}

/** A bundle's entry: one module importing each of its files, resolved in the area's folder. */
const BUNDLE = 'refci-test-bundle:';
const bundleEntries: Plugin = {
  name: 'bundle-entries',
  setup(builder) {
    builder.onResolve({ filter: new RegExp(`^${BUNDLE}`) }, (args) => ({ path: args.path.slice(BUNDLE.length), namespace: 'bundle' }));
    builder.onLoad({ filter: /.*/, namespace: 'bundle' }, (args) => ({
      contents: bundles.get(args.path)!.map((file) => `import ${JSON.stringify(`./${path.basename(file)}`)};`).join('\n'),
      resolveDir: path.join(tests, path.dirname(args.path)),
      loader: 'js',
    }));
  },
};

/** A file bundled alone, under its own name. */
const ownBundle = (file: string) => ({ in: file, out: path.relative(tests, file).replace(/\.ts$/, '') });

const entryPoints = [
  ...alone.map(ownBundle),
  ...[...bundles].map(([name, files]) => (files.length === 1 ? ownBundle(files[0]!) : { in: `${BUNDLE}${name}`, out: name })),
];

const outputs = entryPoints.map((entry) => entry.out);
const twice = outputs.find((name, index) => outputs.indexOf(name) !== index);
if (twice) throw new Error(`two test bundles would be written to test-built/${twice}.mjs: rename the test file`);

try {
  await build({
    entryPoints,
    outdir: temp,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['ava', 'playwright-core', '@octokit/openapi'],
    banner: REQUIRE_BANNER,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'error',
    plugins: [bundleEntries],
  });
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(temp, out);
} finally {
  fs.rmSync(temp, { recursive: true, force: true });
}

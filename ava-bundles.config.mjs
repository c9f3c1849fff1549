// ava's settings for the bundled suite (scripts/build-tests.ts): `npm test`.
// The package.json settings run TypeScript test files directly through tsx.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const built = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-built');

/**
 * Files that take longest on their own (docs/benchmarks.md, Test suite),
 * longest first: ava starts files in the order given, and a minute-long file
 * started last would run alone at the end while the other cores sit idle.
 * Every other file follows in name order.
 */
const LONGEST_FIRST = [
  'run/run.',
  'e2e/chaos.',
  'e2e/demo.',
  'e2e/ssh-hook.',
  'collect/signed-results.',
  'claim/race.',
  'coord/coord.',
  'e2e/infrastructure.',
  'enqueue/enqueue.',
  'e2e/partition.',
  'fleet/fleet.',
  'e2e/readiness.',
  'e2e/queue.',
  'claim/crash.',
];

function rank(file) {
  const name = path.relative(built, file);
  const index = LONGEST_FIRST.findIndex((prefix) => name.startsWith(prefix));
  return index === -1 ? LONGEST_FIRST.length : index;
}

export default {
  files: ['test-built/**/*.test.mjs'],
  workerThreads: false,
  nodeArguments: ['--enable-source-maps'],
  timeout: '3m',
  // Three files at once on two cores: many tests wait (leases, timeouts, daemons' polls), and
  // with two the cores sat a third idle (docs/benchmarks.md, Test suite).
  concurrency: 3,
  sortTestFiles: (a, b) => rank(a) - rank(b) || a.localeCompare(b, [], { numeric: true }),
};

// ava's settings for the bundled suite (scripts/build-tests.ts): `npm test`.
// The package.json settings run TypeScript test files directly through tsx.
export default {
  files: ['test-built/**/*.test.mjs'],
  workerThreads: false,
  nodeArguments: ['--enable-source-maps'],
  timeout: '3m',
  // Three files at once on two cores: many tests wait (leases, timeouts, daemons' polls), and
  // with two the cores sat a third idle (docs/benchmarks.md, Test suite).
  concurrency: 3,
};

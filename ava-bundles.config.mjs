// ava's settings for the bundled suite (scripts/build-tests.ts): `npm test`.
// The package.json settings run TypeScript test files directly through tsx.
export default {
  files: ['test-built/**/*.test.mjs'],
  workerThreads: false,
  nodeArguments: ['--enable-source-maps'],
  timeout: '3m',
  concurrency: 2,
};

/**
 * The first line of every bundle refci builds (the CLI, the test bundles): the
 * CommonJS packages bundled into an ES module call `require`, which an ES
 * module lacks; this gives them one that resolves from the bundle's place.
 */
export const REQUIRE_BANNER = { js: "import { createRequire as __refciRequire } from 'node:module'; const require = __refciRequire(import.meta.url);" };

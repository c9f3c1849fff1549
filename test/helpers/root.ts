import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's root. Counted from this file's folder, which is
 * test/helpers/ when run from TypeScript and test-built/<area>/ in the bundled
 * suite (scripts/build-tests.ts): two levels below the root either way.
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

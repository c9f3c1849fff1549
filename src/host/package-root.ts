import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of refci's package.json: the launcher says so, or it is found from this file when run from source. */
export function packageRoot(): string {
  return process.env.REFCI_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of a coordination repository on this host (`/srv/coord.git`, `file:///srv/coord.git`), or undefined. */
export function localRepository(coord: string): string | undefined {
  let dir: string;
  if (/^file:\/\//i.test(coord)) {
    try {
      dir = fileURLToPath(coord);
    } catch {
      return undefined;
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(coord) || /^[^/]+:/.test(coord)) {
    return undefined;
  } else {
    dir = coord;
  }
  return fs.existsSync(path.join(dir, 'HEAD')) ? dir : undefined;
}

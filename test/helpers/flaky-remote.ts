import fs from 'node:fs';
import path from 'node:path';

/**
 * Hooks that make a bare repository's pushes fail like a dropped connection:
 * receive-pack is killed (git reports the remote hung up, no porcelain), before
 * the refs change (`before`) or after they changed (`after`: the push landed
 * though git says it failed). Switched on and off with a flag file.
 */
export function flakyRemote(bare: string): { fail: (when: 'before' | 'after' | 'never') => void } {
  for (const [hook, when] of [['pre-receive', 'before'], ['post-receive', 'after']]) {
    const file = path.join(bare, 'hooks', hook);
    fs.writeFileSync(file, `#!/bin/sh\ncat >/dev/null\n[ -e fail-${when} ] && kill -9 $PPID\nexit 0\n`);
    fs.chmodSync(file, 0o755);
  }
  return {
    fail: (when) => {
      for (const flag of ['before', 'after']) fs.rmSync(path.join(bare, `fail-${flag}`), { force: true });
      if (when !== 'never') fs.writeFileSync(path.join(bare, `fail-${when}`), '');
    },
  };
}

import fs from 'node:fs';
import path from 'node:path';
import type { PreparedTrees } from '../../src/run/workspace.ts';

/** A job's folders as Workspace.prepare lays them out, for tests that give a step its trees without git. */
export function preparedTrees(jobDir: string, trees: Partial<PreparedTrees> = {}): PreparedTrees {
  const out: PreparedTrees = {
    workdir: path.join(jobDir, 'merged'),
    basedir: path.join(jobDir, 'base'),
    basis: 'a'.repeat(40),
    merged: 'c'.repeat(40),
    gitDir: path.join(jobDir, 'repo.git'),
    caches: { merged: path.join(jobDir, 'cache', 'merged'), base: path.join(jobDir, 'cache', 'base') },
    jobDir,
    ...trees,
  };
  for (const dir of [out.workdir, out.basedir, out.caches.merged, out.caches.base]) fs.mkdirSync(dir, { recursive: true });
  return out;
}

import fs from 'node:fs';
import path from 'node:path';
import { identityEnv } from '../../src/git/identity.ts';
import { git } from '../../src/git/runner.ts';

const env = identityEnv('Test Author', 'author@example.org');

/** A small source repository with `master` and a branch per PR head: what a forge would hold. */
export async function sourceRepo(dir: string, prs: number): Promise<{ path: string; base: string; heads: string[] }> {
  await git(['init', '--quiet', '--initial-branch=master', dir]);
  fs.writeFileSync(path.join(dir, 'README'), 'base\n');
  await git(['add', '.'], { cwd: dir });
  await git(['commit', '--quiet', '-m', 'base'], { cwd: dir, env });
  const base = (await git(['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
  const heads: string[] = [];
  for (let pr = 1; pr <= prs; pr++) {
    await git(['checkout', '--quiet', '-b', `pr/${pr}`, base], { cwd: dir });
    fs.writeFileSync(path.join(dir, `change-${pr}`), `${pr}\n`);
    await git(['add', '.'], { cwd: dir });
    await git(['commit', '--quiet', '-m', `change ${pr}`], { cwd: dir, env });
    heads.push((await git(['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim());
  }
  await git(['checkout', '--quiet', 'master'], { cwd: dir });
  return { path: dir, base, heads };
}

import fs from 'node:fs';
import path from 'node:path';
import { git } from '../../src/git/runner.ts';

const AUTHOR = 'Test Author <author@example.org>';

/**
 * A small source repository with `master` and a branch per PR head: what a
 * forge would hold, with `master` checked out. Its commits come from one `git
 * fast-import` rather than an add, a commit and a checkout per head: most
 * scenarios start with one, and each process costs a test several ms of CPU.
 */
export async function sourceRepo(dir: string, prs: number): Promise<{ path: string; base: string; heads: string[] }> {
  await git(['init', '--quiet', '--initial-branch=master', dir]);
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  const blob = (text: string) => `data ${Buffer.byteLength(text)}\n${text}`;
  const commit = (ref: string, mark: number, message: string, file: string, content: string, from?: number) =>
    [
      `commit ${ref}`,
      `mark :${mark}`,
      `author ${AUTHOR} ${when}`,
      `committer ${AUTHOR} ${when}`,
      blob(`${message}\n`),
      ...(from === undefined ? [] : [`from :${from}`]),
      `M 100644 inline ${file}`,
      blob(content),
      '',
    ].join('\n');
  const stream = [commit('refs/heads/master', 1, 'base', 'README', 'base\n')];
  for (let pr = 1; pr <= prs; pr++) stream.push(commit(`refs/heads/pr/${pr}`, pr + 1, `change ${pr}`, `change-${pr}`, `${pr}\n`, 1));
  const marks = path.join(dir, '.git', 'source-marks');
  await git(['fast-import', '--quiet', `--export-marks=${marks}`], { cwd: dir, input: stream.join('\n') });
  const oids = new Map(fs.readFileSync(marks, 'utf8').trim().split('\n').map((line) => line.split(' ') as [string, string]));
  fs.rmSync(marks);
  // The work tree and index of master, as a clone would have them.
  await git(['reset', '--quiet', '--hard'], { cwd: dir });
  return { path: dir, base: oids.get(':1')!, heads: Array.from({ length: prs }, (_, i) => oids.get(`:${i + 2}`)!) };
}

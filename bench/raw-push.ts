/** The yardstick of every coordination figure: one raw `git push` of a fresh one-file commit to a new ref. */
import path from 'node:path';
import { CoordClone } from '../src/coord/clone.ts';
import { writeRecordCommit } from '../src/git/objects.ts';
import { git } from '../src/git/runner.ts';
import { signatureFor } from '../src/protocol/actor.ts';

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
export const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]!;
export const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * Median wall time of `samples` raw pushes from a fresh clone to `remote`,
 * each a new ref under refs/bench/, removed afterwards from the repository's
 * folder `dir` (the remote itself when it is a path).
 */
export async function rawPushMs(root: string, remote: string, label: string, samples = 20, dir = remote): Promise<number> {
  const clone = await CoordClone.open(path.join(root, `${label}-raw.git`), remote);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Dated now, as a claim is: an old commit would make the receiving side walk the history.
    const author = signatureFor('bench', 'bench', Date.now());
    const commit = await writeRecordCommit(clone.gitdir, { files: { 'x.json': `{"n":${i},"t":${Date.now()}}` }, parents: [], message: 'raw', author });
    const start = process.hrtime.bigint();
    await git(['push', '--quiet', remote, `${commit}:refs/bench/raw-${label}-${i}`], { cwd: clone.gitdir });
    times.push(msSince(start));
  }
  // The refs go again: the runs that follow see the repository as it was.
  const input = Array.from({ length: samples }, (_, i) => `delete refs/bench/raw-${label}-${i}\n`).join('');
  await git(['update-ref', '--stdin'], { cwd: dir, input });
  return median(times);
}

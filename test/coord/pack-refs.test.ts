import test from 'ava';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CoordClone, packCoordinationRefs } from '../../src/coord/clone.ts';
import { looseRefCount } from '../../src/git/refs.ts';
import { git } from '../../src/git/runner.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';

/** A bare repository with `count` loose job refs, all at one commit. */
async function manyRefs(t: Parameters<typeof bareRepo>[0], count: number): Promise<string> {
  const remote = await bareRepo(t);
  const tree = (await git(['mktree'], { cwd: remote, input: '' })).stdout.trim();
  const commit = (await git(['commit-tree', '-m', 'job', tree], { cwd: remote })).stdout.trim();
  const input = Array.from({ length: count }, (_, i) => `create refs/ci/jobs/job-${i} ${commit}\n`).join('');
  await git(['update-ref', '--stdin'], { cwd: remote, input });
  return remote;
}

test('a clone packs its refs once a fetch leaves more than a few hundred loose ones', async (t) => {
  const remote = await manyRefs(t, 300);
  const clone = await CoordClone.open(path.join(tempDir(t), 'c.git'), remote);
  t.true(await clone.fetch(['+refs/ci/jobs/*:refs/ci/jobs/*']));
  t.is(looseRefCount(clone.gitdir), 0);
  t.is((await clone.refs('refs/ci/jobs/')).size, 300);
  // Nothing new: the fetch says so, and the refs read from the cache are the same.
  t.false(await clone.fetch(['+refs/ci/jobs/*:refs/ci/jobs/*']));
  t.is((await clone.refs('refs/ci/jobs/')).size, 300);
});

test('the coordination repository is packed when it is on this host and its loose refs grew; a remote one is left alone', async (t) => {
  const few = await manyRefs(t, 10);
  t.false(await packCoordinationRefs(few));
  t.is(looseRefCount(few, 'ci'), 10);
  const many = await manyRefs(t, 300);
  t.false(await packCoordinationRefs('ssh://host.invalid/coord.git'));
  t.true(await packCoordinationRefs(pathToFileURL(many).href));
  t.is(looseRefCount(many, 'ci'), 0);
  const listed = (await git(['for-each-ref', '--format=%(refname)', 'refs/ci/jobs/'], { cwd: many })).stdout.split('\n').filter(Boolean);
  t.is(listed.length, 300);
});

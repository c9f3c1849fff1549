import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { createPrivateBare, initBare } from '../../src/git/init.ts';
import { git } from '../../src/git/runner.ts';
import { tempDir } from '../helpers/temp.ts';

test('a bare repository starts with its settings, as git config reads them back', async (t) => {
  const dir = path.join(tempDir(t), 'r.git');
  const settings = { 'gc.auto': '0', 'core.logAllRefUpdates': 'false', 'remote.a.b.url': 'x "quoted" \\ back', 'receive.denyDeletes': 'false' };
  await initBare(dir, settings);
  for (const [name, value] of Object.entries(settings)) t.is((await git(['config', '--get', name], { cwd: dir })).stdout.trim(), value, name);
  t.is((await git(['config', '--get', 'core.bare'], { cwd: dir })).stdout.trim(), 'true');
});

test('a setting that is not section.key, or a value with a line break, is refused before anything is written', async (t) => {
  const dir = path.join(tempDir(t), 'r.git');
  await t.throwsAsync(initBare(dir, { auto: '0' }), { message: /not a git setting name: "auto"/ });
  t.false(fs.existsSync(dir));
  await t.throwsAsync(initBare(path.join(tempDir(t), 's.git'), { 'a.b': 'one\ntwo' }), { message: /line break/ });
});

test('a private bare repository written without git is one git reads, fetches into and pushes from', async (t) => {
  const dir = tempDir(t);
  const source = path.join(dir, 'source.git');
  await initBare(source);
  const tree = (await git(['mktree'], { cwd: source, input: '' })).stdout.trim();
  const commit = (await git(['commit-tree', '-m', 'first', tree], { cwd: source, env: { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' } })).stdout.trim();
  await git(['update-ref', 'refs/ci/x', commit], { cwd: source });

  const clone = path.join(dir, 'state', 'clone.git');
  createPrivateBare(clone, { 'gc.auto': '0' });
  t.is((await git(['rev-parse', '--is-bare-repository'], { cwd: clone })).stdout.trim(), 'true');
  t.is((await git(['config', '--get', 'gc.auto'], { cwd: clone })).stdout.trim(), '0');
  await git(['fetch', '--quiet', source, '+refs/ci/*:refs/ci/*'], { cwd: clone });
  t.is((await git(['rev-parse', 'refs/ci/x'], { cwd: clone })).stdout.trim(), commit);
  await git(['push', '--quiet', source, `${commit}:refs/ci/y`], { cwd: clone });
  t.is((await git(['rev-parse', 'refs/ci/y'], { cwd: source })).stdout.trim(), commit);
  await t.notThrowsAsync(git(['fsck', '--no-progress'], { cwd: clone }));
});

test('a private bare repository with a bad setting is refused before anything is written', (t) => {
  const dir = path.join(tempDir(t), 'r.git');
  t.throws(() => createPrivateBare(dir, { auto: '0' }), { message: /not a git setting name/ });
  t.false(fs.existsSync(dir));
});

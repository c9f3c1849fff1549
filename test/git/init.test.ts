import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { initBare } from '../../src/git/init.ts';
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

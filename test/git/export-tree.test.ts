import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { changesSinceExport, exportTree } from '../../src/git/export-tree.ts';
import { identityEnv } from '../../src/git/identity.ts';
import { git } from '../../src/git/runner.ts';
import { tempDir } from '../helpers/temp.ts';

/** A repository whose commit has an `ident` attribute for ebuilds, a nested .gitattributes and a submodule entry. */
async function repository(dir: string): Promise<{ repo: string; commit: string }> {
  const repo = path.join(dir, 'repo');
  await git(['init', '--quiet', '-b', 'master', repo]);
  const files: Record<string, string> = {
    '.gitattributes': '*.ebuild ident\n',
    'app-misc/hello/.gitattributes': '* text eol=crlf\n',
    'app-misc/hello/hello-1.ebuild': '# $Id$\nLICENSE="GPL-2"\n',
    'README': 'readme\n',
  };
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  }
  const env = identityEnv('test', 'test@refci.invalid');
  await git(['add', '--all'], { cwd: repo });
  await git(['commit', '--quiet', '-m', 'files'], { cwd: repo, env });
  const first = (await git(['rev-parse', 'HEAD'], { cwd: repo })).stdout.trim();
  await git(['update-index', '--add', '--cacheinfo', `160000,${first},app-misc/sub`], { cwd: repo });
  await git(['commit', '--quiet', '-m', 'a submodule entry'], { cwd: repo, env });
  const commit = (await git(['rev-parse', 'HEAD'], { cwd: repo })).stdout.trim();
  // Trees are written from a worker's mirror, which is bare.
  const mirror = path.join(dir, 'mirror.git');
  await git(['clone', '--quiet', '--bare', repo, mirror]);
  return { repo: mirror, commit };
}

test('as committed: no attribute converts a file, and .gitattributes files and submodule entries are left out', async (t) => {
  const dir = tempDir(t);
  const { repo, commit } = await repository(dir);
  const out = path.join(dir, 'out');
  await exportTree(repo, commit, out, { asCommitted: true });
  t.is(fs.readFileSync(path.join(out, 'app-misc/hello/hello-1.ebuild'), 'utf8'), '# $Id$\nLICENSE="GPL-2"\n');
  t.false(fs.existsSync(path.join(out, '.gitattributes')));
  t.false(fs.existsSync(path.join(out, 'app-misc/hello/.gitattributes')));
  t.false(fs.existsSync(path.join(out, 'app-misc/sub')));
  // Without the option the attributes apply: the ident expands.
  const plain = path.join(dir, 'plain');
  await exportTree(repo, commit, plain);
  t.regex(fs.readFileSync(path.join(plain, 'app-misc/hello/hello-1.ebuild'), 'utf8'), /^# \$Id: [0-9a-f]{40} \$\r?\n/);
});

test('what changed since the export: edits, removals and new files, a submodule folder and attributes included; a file only touched is no change', async (t) => {
  const dir = tempDir(t);
  const { repo, commit } = await repository(dir);
  const out = path.join(dir, 'out');
  const index = path.join(dir, 'out.index');
  await exportTree(repo, commit, out, { keepIndex: index, asCommitted: true });
  t.deepEqual(await changesSinceExport(repo, index, out), { changed: [], unread: [] });

  const ebuild = path.join(out, 'app-misc/hello/hello-1.ebuild');
  // Same size, same mtime: the change of ctime and the content give it away.
  const { mtime } = fs.statSync(ebuild);
  fs.writeFileSync(ebuild, '# $Id$\nLICENSE="MIT-2"\n');
  fs.utimesSync(ebuild, mtime, mtime);
  fs.utimesSync(path.join(out, 'README'), new Date(), new Date());
  fs.rmSync(path.join(out, 'README'));
  fs.writeFileSync(path.join(out, 'README'), 'readme\n');
  fs.mkdirSync(path.join(out, 'app-misc/sub'));
  fs.writeFileSync(path.join(out, 'app-misc/sub/sub-1.ebuild'), 'EAPI=8\n');
  fs.writeFileSync(path.join(out, '.gitattributes'), '*.ebuild ident\n');
  t.deepEqual(await changesSinceExport(repo, index, out), { changed: ['.gitattributes', 'app-misc/hello/hello-1.ebuild', 'app-misc/sub/sub-1.ebuild'], unread: [] });
});

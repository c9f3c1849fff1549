import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { StepReport } from '../../src/protocol/result.ts';
import { dropProposedCacheEntries, keepMetadataCache, metadataCacheOf, seedMetadataCache } from '../../src/run/metadata-cache.ts';
import { tempDir } from '../helpers/temp.ts';

const gentoo = defaultConfig().pipelines.gentoo;
const report = (name: string, exitCode: number) => ({ name, exitCode }) as StepReport;

function tree(root: string, entries: Record<string, string>): string {
  for (const [file, text] of Object.entries(entries)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

test('the base tree\'s cache is kept only when its regen passed, and seeds the next job\'s trees', async (t) => {
  const dir = tempDir(t);
  const kept = metadataCacheOf(path.join(dir, 'state'), 'https://example.org/gentoo.git');
  t.is(kept, metadataCacheOf(path.join(dir, 'state'), 'https://example.org/gentoo'), 'one cache per repository, however its URL is spelled');
  const base = tree(path.join(dir, 'base'), { 'metadata/md5-cache/app-misc/hello-1': '_eclasses_=\n' });
  fs.symlinkSync('/etc/passwd', path.join(base, 'metadata/md5-cache/app-misc/link-1'));

  await keepMetadataCache(kept, base, gentoo, [report('regen', 0), report('regen-base', 1)]);
  t.false(fs.existsSync(kept), 'a failed base regen keeps nothing');
  await keepMetadataCache(kept, base, gentoo, [report('regen', 1)]);
  t.false(fs.existsSync(kept), 'a base regen that never ran keeps nothing');
  await keepMetadataCache(kept, base, gentoo, [report('regen', 1), report('regen-base', 0)]);
  t.deepEqual(fs.readdirSync(path.join(kept, 'app-misc')), ['hello-1'], 'kept, without symlinks');
  // Kept again over the first copy: replaced whole, nothing left beside it.
  fs.writeFileSync(path.join(base, 'metadata/md5-cache/app-misc/hello-1'), '_eclasses_=x\n');
  await keepMetadataCache(kept, base, gentoo, [report('regen', 1), report('regen-base', 0)]);
  t.is(fs.readFileSync(path.join(kept, 'app-misc/hello-1'), 'utf8'), '_eclasses_=x\n');
  t.deepEqual(fs.readdirSync(path.dirname(kept)), ['md5-cache']);

  const merged = path.join(dir, 'next', 'merged');
  const own = tree(path.join(dir, 'next', 'own'), { 'metadata/md5-cache/x/y-1': 'committed\n' });
  fs.mkdirSync(merged, { recursive: true });
  seedMetadataCache(kept, [merged, own]);
  t.is(fs.readFileSync(path.join(merged, 'metadata/md5-cache/app-misc/hello-1'), 'utf8'), '_eclasses_=x\n');
  t.deepEqual(fs.readdirSync(path.join(own, 'metadata/md5-cache')), ['x'], 'a tree that commits its cache keeps it');
  // A step writing the seeded copy changes nothing kept.
  fs.writeFileSync(path.join(merged, 'metadata/md5-cache/app-misc/hello-1'), 'poisoned\n');
  t.is(fs.readFileSync(path.join(kept, 'app-misc/hello-1'), 'utf8'), '_eclasses_=x\n');
});

test('cache entries the PR adds or changes are removed from the merged tree before regen; the base\'s own stay', (t) => {
  const dir = tempDir(t);
  const base = tree(path.join(dir, 'base'), { 'metadata/md5-cache/app-misc/hello-1': 'LICENSE=GPL-2\n', 'metadata/md5-cache/app-misc/old-1': 'x\n' });
  const merged = tree(path.join(dir, 'merged'), {
    'metadata/md5-cache/app-misc/hello-1': 'LICENSE=GPL-2\n',
    'metadata/md5-cache/app-misc/old-1': 'LICENSE=forged\n',
    'metadata/md5-cache/app-misc/evil-1': 'LICENSE=GPL-2\n',
  });
  dropProposedCacheEntries(merged, base, [
    { status: 'M', path: 'metadata/md5-cache/app-misc/old-1' },
    { status: 'A', path: 'metadata/md5-cache/app-misc/evil-1' },
    { status: 'A', path: 'app-misc/evil/evil-1.ebuild' },
    { status: 'D', path: 'metadata/md5-cache/app-misc/gone-1' },
  ]);
  t.deepEqual(fs.readdirSync(path.join(merged, 'metadata/md5-cache/app-misc')), ['hello-1']);
});

test('a merged tree whose base has no cache loses its whole cache folder, so the kept cache seeds it', (t) => {
  const dir = tempDir(t);
  const base = tree(path.join(dir, 'base'), { 'app-misc/hello/hello-1.ebuild': 'EAPI=8\n' });
  const merged = tree(path.join(dir, 'merged'), { 'metadata/md5-cache/app-misc/hello-1': 'LICENSE=forged\n' });
  dropProposedCacheEntries(merged, base, [{ status: 'A', path: 'metadata/md5-cache/app-misc/hello-1' }]);
  t.false(fs.existsSync(path.join(merged, 'metadata/md5-cache')));
  const kept = tree(path.join(dir, 'kept'), { 'app-misc/hello-1': 'LICENSE=GPL-2\n' });
  seedMetadataCache(kept, [merged]);
  t.is(fs.readFileSync(path.join(merged, 'metadata/md5-cache/app-misc/hello-1'), 'utf8'), 'LICENSE=GPL-2\n');
});

test('a cache path that leads out of the tree through a symlinked folder removes nothing outside it', (t) => {
  const dir = tempDir(t);
  const outside = tree(path.join(dir, 'host'), { 'app-misc/precious-1': 'keep me\n' });
  const base = tree(path.join(dir, 'base'), { 'metadata/md5-cache/app-misc/hello-1': 'x\n' });
  const merged = tree(path.join(dir, 'merged'), { 'metadata/md5-cache/.keep': '' });
  fs.symlinkSync(path.join(outside, 'app-misc'), path.join(merged, 'metadata/md5-cache/app-misc'));
  dropProposedCacheEntries(merged, base, [{ status: 'A', path: 'metadata/md5-cache/app-misc/precious-1' }]);
  t.is(fs.readFileSync(path.join(outside, 'app-misc/precious-1'), 'utf8'), 'keep me\n');
  // Without a base cache the folder goes: a symlink in its place is removed itself, never what it leads to.
  const bare = tree(path.join(dir, 'bare'), { 'x': '' });
  const linked = tree(path.join(dir, 'linked'), { 'metadata/.keep': '' });
  fs.symlinkSync(path.join(outside), path.join(linked, 'metadata/md5-cache'));
  dropProposedCacheEntries(linked, bare, []);
  t.false(fs.existsSync(path.join(linked, 'metadata/md5-cache')));
  t.is(fs.readFileSync(path.join(outside, 'app-misc/precious-1'), 'utf8'), 'keep me\n');
});

test('a symlink in place of the cache folder, or of metadata/, is removed from the merged tree, and seeding never follows one', (t) => {
  const dir = tempDir(t);
  const base = tree(path.join(dir, 'base'), { 'metadata/md5-cache/app-misc/hello-1': 'x\n' });
  // Forged entries committed elsewhere in the tree, brought in under the cache's name.
  const merged = tree(path.join(dir, 'merged'), { 'profiles/fake/app-misc/hello-1': 'LICENSE=forged\n', 'metadata/layout.conf': 'masters =\n' });
  fs.symlinkSync('../profiles/fake', path.join(merged, 'metadata/md5-cache'));
  dropProposedCacheEntries(merged, base, [{ status: 'A', path: 'metadata/md5-cache' }]);
  t.false(fs.existsSync(path.join(merged, 'metadata/md5-cache')));
  t.true(fs.existsSync(path.join(merged, 'profiles/fake/app-misc/hello-1')), 'what the link led to stays: only the link goes');

  // A base tree (the repository's own commit) whose metadata/ leads elsewhere gets no seed through it.
  const outside = path.join(dir, 'host-writable');
  fs.mkdirSync(outside);
  const linked = path.join(dir, 'linked');
  fs.mkdirSync(linked);
  fs.symlinkSync(outside, path.join(linked, 'metadata'));
  const kept = tree(path.join(dir, 'kept'), { 'app-misc/hello-1': 'LICENSE=GPL-2\n' });
  seedMetadataCache(kept, [linked]);
  t.deepEqual(fs.readdirSync(outside), []);
});

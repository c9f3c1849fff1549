import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parseMd5CacheEntry } from '../../src/gentoo/md5-cache.ts';
import { tempDir } from '../helpers/temp.ts';
import { standin } from './helpers.ts';

const md5 = (file: string) => crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex');

function writeRepo(root: string, extra: Record<string, string> = {}): string {
  const files: Record<string, string> = {
    'profiles/repo_name': 'gentoo\n',
    'profiles/categories': 'app-misc\n',
    'metadata/layout.conf': 'masters =\n',
    'eclass/base-utils.eclass': '# @ECLASS: base-utils.eclass\nbase_helper() {\n\t:\n}\n',
    'eclass/top.eclass': '# @ECLASS: top.eclass\ninherit base-utils\nIUSE="top-flag"\n\ntop_src_compile() {\n\temake\n}\n\nEXPORT_FUNCTIONS src_compile\n',
    'app-misc/demo/metadata.xml': '<pkgmetadata>\n\t<use>\n\t\t<flag name="extra">Install the <pkg>app-misc/extra</pkg>\n\t\t\tbits</flag>\n\t</use>\n</pkgmetadata>\n',
    'app-misc/demo/demo-1.0.ebuild':
      'EAPI=8\n\ninherit top\n\nDESCRIPTION="Demo package for ${PN} tests"\nHOMEPAGE="https://example.org/${PN}/"\nSRC_URI="https://example.org/${P}.tar.gz"\n' +
      'LICENSE="MIT"\nSLOT="0"\nKEYWORDS="~amd64\n\tx86"\nIUSE="extra"\nRDEPEND="extra? ( app-misc/extra )"\n\nsrc_install() {\n\tdefault\n}\n',
    'app-misc/demo/demo-1.1.ebuild': 'EAPI=8\nDESCRIPTION="Demo package, newer"\nSLOT="0"\n',
    ...extra,
  };
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

const REGEN = ['regen', '--use-local-desc', '--pkg-desc-index', '-t', '4'];

test('regen writes md5-cache entries with transitive _eclasses_ and the ebuild md5', async (t) => {
  const repo = writeRepo(tempDir(t));
  const out = await standin('pmaint', [...REGEN, repo], { cwd: tempDir(t) });
  t.is(out.exitCode, 0, out.stderr);
  t.is(out.stdout, '');
  const cacheFile = path.join(repo, 'metadata', 'md5-cache', 'app-misc', 'demo-1.0');
  const text = fs.readFileSync(cacheFile, 'utf8');
  const entry = parseMd5CacheEntry(text);
  t.deepEqual(entry.values, {
    DEFINED_PHASES: 'compile install',
    DESCRIPTION: 'Demo package for demo tests',
    EAPI: '8',
    HOMEPAGE: 'https://example.org/demo/',
    INHERIT: 'top',
    IUSE: 'top-flag extra',
    KEYWORDS: '~amd64 x86',
    LICENSE: 'MIT',
    RDEPEND: 'extra? ( app-misc/extra )',
    SLOT: '0',
    SRC_URI: 'https://example.org/demo-1.0.tar.gz',
  });
  t.deepEqual(entry.eclasses, [
    { name: 'base-utils', md5: md5(path.join(repo, 'eclass', 'base-utils.eclass')) },
    { name: 'top', md5: md5(path.join(repo, 'eclass', 'top.eclass')) },
  ]);
  t.is(entry.md5, md5(path.join(repo, 'app-misc', 'demo', 'demo-1.0.ebuild')));
  t.deepEqual(Object.keys(entry.values), Object.keys(entry.values).sort(), 'keys are sorted');
  t.regex(text, /^_eclasses_=base-utils\t[0-9a-f]{32}\ttop\t[0-9a-f]{32}$/m);

  const plain = parseMd5CacheEntry(fs.readFileSync(path.join(repo, 'metadata', 'md5-cache', 'app-misc', 'demo-1.1'), 'utf8'));
  t.deepEqual(plain.eclasses, []);
  t.is(plain.values.DEFINED_PHASES, '-');

  t.is(fs.readFileSync(path.join(repo, 'metadata', 'pkg_desc_index'), 'utf8'), 'app-misc/demo 1.0 1.1: Demo package, newer\n');
  t.is(
    fs.readFileSync(path.join(repo, 'profiles', 'use.local.desc'), 'utf8').split('\n').slice(3).join('\n'),
    '\napp-misc/demo:extra - Install the app-misc/extra bits\n',
  );
});

test('regen removes entries of ebuilds that are gone and finds the repo by name', async (t) => {
  const repo = writeRepo(tempDir(t));
  t.is((await standin('pmaint', ['regen', 'gentoo'], { cwd: path.join(repo, 'app-misc') })).exitCode, 0);
  fs.rmSync(path.join(repo, 'app-misc', 'demo', 'demo-1.0.ebuild'));
  const again = await standin('pmaint', ['regen', '--threads=2', 'gentoo'], { cwd: repo });
  t.is(again.exitCode, 0, again.stderr);
  t.deepEqual(fs.readdirSync(path.join(repo, 'metadata', 'md5-cache', 'app-misc')), ['demo-1.1']);
});

test('an ebuild that dies while sourced fails regen with a message; the others are still written', async (t) => {
  const repo = writeRepo(tempDir(t), {
    'app-misc/demo/demo-2.0.ebuild': 'EAPI=8\nDESCRIPTION="Broken on purpose"\nSLOT="0"\n\nif [[ ${PV} == 2.0 ]]; then\n\tdie "regen-failure"\nfi\n',
  });
  const out = await standin('pmaint', [...REGEN, repo], { cwd: repo });
  t.is(out.exitCode, 1);
  t.regex(out.stderr, /ERROR: app-misc\/demo-2\.0::gentoo failed \(depend phase\):\n \*   regen-failure/);
  t.regex(out.stderr, /pmaint regen: error: metadata regeneration failed for 1 package\n$/);
  t.deepEqual(fs.readdirSync(path.join(repo, 'metadata', 'md5-cache', 'app-misc')), ['demo-1.0', 'demo-1.1']);
});

test('inheriting a missing eclass fails regen too', async (t) => {
  const repo = writeRepo(tempDir(t), { 'app-misc/demo/demo-3.ebuild': 'EAPI=8\ninherit no-such-eclass\nSLOT="0"\n' });
  const out = await standin('pmaint', ['regen', repo], { cwd: repo });
  t.is(out.exitCode, 1);
  t.regex(out.stderr, /app-misc\/demo-3: inherit: eclass 'no-such-eclass' not found/);
});

test('argument errors exit 2', async (t) => {
  const repo = writeRepo(tempDir(t));
  for (const [args, message] of [
    [['regen'], /the following arguments are required: repo/],
    [['regen', 'nosuchrepo'], /couldn't find repo 'nosuchrepo'/],
    [['regen', '-t', 'zero', repo], /invalid positive_int value: 'zero'/],
    [['regen', '--frobnicate', repo], /unrecognized arguments: --frobnicate/],
    [['frobnicate'], /invalid choice: 'frobnicate'/],
  ] as Array<[string[], RegExp]>) {
    const out = await standin('pmaint', args, { cwd: repo });
    t.is(out.exitCode, 2, args.join(' '));
    t.regex(out.stderr, message, args.join(' '));
  }
});

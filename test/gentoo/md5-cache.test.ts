import test from 'ava';
import { RefciError } from '../../src/errors.ts';
import {
  eclassMapFromEntries,
  formatMd5CacheEntry,
  parseEclassesValue,
  parseMd5CacheEntry,
  splitPackageVersion,
} from '../../src/gentoo/md5-cache.ts';

// The shape of a real entry (metadata/md5-cache/dev-libs/libxml2-2.12.7 style).
const ENTRY = [
  'BDEPEND=virtual/pkgconfig',
  'DEFINED_PHASES=compile configure install prepare test unpack',
  'DEPEND=>=sys-libs/zlib-1.2.8-r1:=',
  'DESCRIPTION=XML C parser and toolkit',
  'EAPI=8',
  'HOMEPAGE=https://gitlab.gnome.org/GNOME/libxml2/-/wikis/home',
  'INHERIT=autotools python-r1 multilib-minimal',
  'IUSE=debug examples +ftp icu lzma +python readline static-libs test',
  'KEYWORDS=~alpha amd64 arm arm64',
  'LICENSE=MIT',
  'RESTRICT=!test? ( test )',
  'SLOT=2',
  'SRC_URI=https://download.gnome.org/sources/libxml2/2.12/libxml2-2.12.7.tar.xz',
  '_eclasses_=autotools\t6ae9a4347149b19a112caa1182d03bde\tgnuconfig\tb6b3e92f8b8c996400074b5f61a59256\tmultilib\tb2a329026f2e404e9e371097dda47f96',
  '_md5_=8f28ef1bcf1a2e5d3b3b5bde5b8f2a21',
  '',
].join('\n');

test('parses values, the eclass stamps and the ebuild md5', (t) => {
  const entry = parseMd5CacheEntry(ENTRY);
  t.is(entry.values.EAPI, '8');
  t.is(entry.values.INHERIT, 'autotools python-r1 multilib-minimal');
  t.is(entry.values.RESTRICT, '!test? ( test )');
  t.is(entry.values.DEPEND, '>=sys-libs/zlib-1.2.8-r1:=');
  t.false('_eclasses_' in entry.values);
  t.deepEqual(entry.eclasses, [
    { name: 'autotools', md5: '6ae9a4347149b19a112caa1182d03bde' },
    { name: 'gnuconfig', md5: 'b6b3e92f8b8c996400074b5f61a59256' },
    { name: 'multilib', md5: 'b2a329026f2e404e9e371097dda47f96' },
  ]);
  t.is(entry.md5, '8f28ef1bcf1a2e5d3b3b5bde5b8f2a21');
});

test('an entry without eclasses has none; CRLF endings are tolerated', (t) => {
  const entry = parseMd5CacheEntry('EAPI=8\r\nSLOT=0\r\n_md5_=abc\r\n');
  t.deepEqual(entry.eclasses, []);
  t.deepEqual(entry.values, { EAPI: '8', SLOT: '0' });
});

test('reads the older name/path/md5 triples', (t) => {
  t.deepEqual(parseEclassesValue('eutils\t/usr/portage/eclass\t0123\tmultilib\t/usr/portage/eclass\t4567'), [
    { name: 'eutils', md5: '0123' },
    { name: 'multilib', md5: '4567' },
  ]);
});

test('a line without KEY=value or an odd _eclasses_ is invalid input naming the file', (t) => {
  const bad = t.throws(() => parseMd5CacheEntry('EAPI=8\nnot a cache line\n', 'metadata/md5-cache/a/b-1'), { instanceOf: RefciError });
  t.is(bad?.code, 'invalid-input');
  t.regex(bad?.message ?? '', /metadata\/md5-cache\/a\/b-1, line 2/);
  const odd = t.throws(() => parseMd5CacheEntry('_eclasses_=a\tb\tc\td\te\n'), { instanceOf: RefciError });
  t.regex(odd?.message ?? '', /5 fields/);
});

test('formats back to the same text', (t) => {
  t.is(formatMd5CacheEntry(parseMd5CacheEntry(ENTRY)), ENTRY);
});

test('splits PF into PN and version', (t) => {
  const cases: Array<[string, [string, string] | undefined]> = [
    ['foo-1.2', ['foo', '1.2']],
    ['libxml2-2.12.7', ['libxml2', '2.12.7']],
    ['gtk+-3.24.41-r1', ['gtk+', '3.24.41-r1']],
    ['foo-bar-1.0_rc1_p2-r3', ['foo-bar', '1.0_rc1_p2-r3']],
    ['python-3.12.3_p1', ['python', '3.12.3_p1']],
    ['openssl-1.1.1w', ['openssl', '1.1.1w']],
    ['git-9999', ['git', '9999']],
    ['font-adobe-75dpi-1.0.4', ['font-adobe-75dpi', '1.0.4']],
    ['noversion', undefined],
    ['foo-1.2-rc1', undefined],
  ];
  for (const [pf, expected] of cases) {
    const got = splitPackageVersion(pf);
    t.deepEqual(got && [got.pn, got.pvr], expected, pf);
  }
});

test('the eclass map unions versions and lists packages without eclasses', (t) => {
  const map = eclassMapFromEntries([
    { cpv: 'dev-libs/libfoo-1.2', entry: parseMd5CacheEntry('_eclasses_=toolchain-funcs\taa\n') },
    { cpv: 'dev-libs/libfoo-1.3', entry: parseMd5CacheEntry('_eclasses_=toolchain-funcs\tbb\tflag-o-matic\tcc\n') },
    { cpv: 'app-misc/oldtool-0.9', entry: parseMd5CacheEntry('EAPI=5\n') },
    { cpv: 'app-misc/not-a-pf', entry: parseMd5CacheEntry('EAPI=8\n') },
    { cpv: 'stray-file', entry: parseMd5CacheEntry('EAPI=8\n') },
  ]);
  t.deepEqual([...map.entries()], [
    ['app-misc/oldtool', []],
    ['dev-libs/libfoo', ['flag-o-matic', 'toolchain-funcs']],
  ]);
});

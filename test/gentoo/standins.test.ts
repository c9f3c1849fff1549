// The pkgcheck stand-in speaks pkgcheck's real formats: compared with the
// verbatim pkgcheck outputs in test/fixtures/pkgcheck.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { tempDir } from '../helpers/temp.ts';
import { fixture, jsonLines, notation, PKGCHECK_FIXTURES, standin } from './helpers.ts';

const FORMATS: Array<[string, string]> = [
  ['JsonStream', 'JsonStream.jsonl'],
  ['JsonReporter', 'JsonReporter.jsonl'],
  ['XmlReporter', 'XmlReporter.xml'],
  ['StrReporter', 'StrReporter.txt'],
  ['FancyReporter', 'FancyReporter.txt'],
  ['CsvReporter', 'CsvReporter.csv'],
];

test('--version', async (t) => {
  const dir = tempDir(t);
  t.is((await standin('pkgcheck', ['--version'], { cwd: dir })).stdout, 'pkgcheck 0.10.41-standin\n');
  t.is((await standin('pmaint', ['--version'], { cwd: dir })).stdout, 'pmaint 0.12.30-standin\n');
});

for (const [reporter, file] of FORMATS) {
  test(`replay of pkgcheck's own JsonStream renders ${reporter} byte for byte`, async (t) => {
    const input = path.join(tempDir(t), 'results.jsonl');
    fs.writeFileSync(input, fixture('reporter-formats', 'JsonStream.jsonl'));
    const out = await standin('pkgcheck', ['replay', '-R', reporter, input], { cwd: path.dirname(input) });
    t.is(out.exitCode, 0, out.stderr);
    t.is(out.stdout, fixture('reporter-formats', file));
  });
}

test('replay refuses what it cannot read, as an argument error', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'bad.jsonl'), '{"__class__": "NoSuchKeyword", "category": "a"}\n');
  fs.writeFileSync(path.join(dir, 'junk.jsonl'), 'not json\n');
  for (const file of ['bad.jsonl', 'junk.jsonl', 'missing.jsonl']) {
    const out = await standin('pkgcheck', ['replay', '-R', 'JsonReporter', file], { cwd: dir });
    t.is(out.exitCode, 2, file);
    t.regex(out.stderr, /^pkgcheck replay: error: /, file);
    t.is(out.stdout, '', file);
  }
});

// A repository in which every stand-in check fires once.
function writeBrokenRepo(root: string): void {
  const files: Record<string, string> = {
    'profiles/repo_name': 'broken\n',
    'profiles/categories': 'cat-a\ncat-b\n',
    'profiles/arch.list': 'amd64\nx86\n',
    'metadata/layout.conf': 'masters =\neapis-banned = 0 1 2 3 4 5\neapis-deprecated = 6\n',
    'licenses/GPL-2': 'text\n',
    'licenses/Unused': 'text\n',
    'eclass/nodoc.eclass': '# @ECLASS: nodoc.eclass\n# @BLURB: lacks a maintainer\n',
    'cat-a/metadata.xml': '<catmetadata/>\n',
    'cat-a/pkg/metadata.xml': '<pkgmetadata/>\n',
    'cat-a/pkg/pkg-1.ebuild': 'EAPI=4\nDESCRIPTION="Package with a banned EAPI"\nLICENSE="GPL-2"\nSLOT="0"\nKEYWORDS="amd64"\n',
    'cat-a/pkg/pkg-2.ebuild': 'EAPI=6\nDESCRIPTION="short"\nLICENSE="GPL-2 Nope"\nSLOT="0"\nKEYWORDS="-*"\n',
    'cat-a/pkg/pkg-3.ebuild':
      'EAPI=8\nDESCRIPTION="' +
      'x'.repeat(81) +
      '"\nSLOT="0"\nKEYWORDS="~amd64 ~mips sparc"\n\nsrc_install() {\n\tcp foo $D/usr/bin || die\n\tinsinto ${FILESDIR}\n\techo ${D}\n\trm -f ${D}/usr/bin/extra\n\tdodir "${D}"\n}',
    'cat-b/other/other-1.0-r1.ebuild': 'EAPI=8\nSLOT="0"\nLICENSE="GPL-2"\nKEYWORDS="x86"\n',
  };
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
}

const EXPECTED_BROKEN = [
  '{"__class__": "UnusedLicenses", "licenses": ["Unused"]}',
  '{"__class__": "EclassDocError", "eclass": "nodoc", "error": "\'@ECLASS: nodoc.eclass\': missing tag: \'@MAINTAINER:\'"}',
  '{"__class__": "BannedEapi", "category": "cat-a", "package": "pkg", "version": "1", "eapi": "4"}',
  '{"__class__": "BadDescription", "category": "cat-a", "package": "pkg", "version": "2", "msg": "under 10 chars in length", "pkg_desc": "short"}',
  '{"__class__": "BadKeywords", "category": "cat-a", "package": "pkg", "version": "2"}',
  '{"__class__": "DeprecatedEapi", "category": "cat-a", "package": "pkg", "version": "2", "eapi": "6"}',
  '{"__class__": "UnknownLicense", "category": "cat-a", "package": "pkg", "version": "2", "licenses": ["Nope"]}',
  '{"__class__": "BadDescription", "category": "cat-a", "package": "pkg", "version": "3", "msg": "over 80 chars in length", "pkg_desc": null}',
  '{"__class__": "MissingLicense", "category": "cat-a", "package": "pkg", "version": "3"}',
  '{"__class__": "NoFinalNewline", "category": "cat-a", "package": "pkg", "version": "3"}',
  '{"__class__": "UnknownKeywords", "category": "cat-a", "package": "pkg", "version": "3", "keywords": ["sparc", "~mips"]}',
  '{"__class__": "EbuildUnquotedVariable", "category": "cat-a", "package": "pkg", "version": "3", "lines": [7, 10], "variable": "D"}',
  '{"__class__": "EbuildUnquotedVariable", "category": "cat-a", "package": "pkg", "version": "3", "lines": [8], "variable": "FILESDIR"}',
  '{"__class__": "CatMissingMetadataXml", "category": "cat-b", "filename": "metadata.xml"}',
  '{"__class__": "PkgMissingMetadataXml", "category": "cat-b", "package": "other", "filename": "metadata.xml"}',
  '{"__class__": "BadDescription", "category": "cat-b", "package": "other", "version": "1.0-r1", "msg": "empty/unset", "pkg_desc": null}',
].join('\n');

test('scan: every check, in JsonStream exactly', async (t) => {
  const repo = tempDir(t);
  writeBrokenRepo(repo);
  const out = await standin('pkgcheck', ['scan', '-R', 'JsonStream', '-p', 'stable,dev', '--cache=-git'], { cwd: repo });
  t.is(out.exitCode, 0, out.stderr);
  t.is(out.stdout, EXPECTED_BROKEN + '\n');
});

test('scan: JsonStream attributes match the keys pkgcheck itself writes for the same classes', async (t) => {
  const repo = tempDir(t);
  writeBrokenRepo(repo);
  const ours = jsonLines((await standin('pkgcheck', ['scan', '-R', 'JsonStream'], { cwd: repo })).stdout);
  const theirs = [
    ...jsonLines(fixture('reporter-formats', 'JsonStream.jsonl')),
    ...fs.readdirSync(path.join(PKGCHECK_FIXTURES, 'expected-jsonstream')).flatMap((f) => jsonLines(fixture('expected-jsonstream', f))),
  ];
  const keysOf = (r: Record<string, unknown>) => Object.keys(r).join(',');
  const reference = new Map(theirs.map((r) => [String(r.__class__), keysOf(r)]));
  let compared = 0;
  for (const result of ours) {
    const expected = reference.get(String(result.__class__));
    if (!expected) continue;
    t.is(keysOf(result), expected, String(result.__class__));
    compared++;
  }
  t.true(compared >= 9, `compared ${compared} results with pkgcheck's own`);
});

test('scan: every keyword is one Gentoo CI knows, with pkgcheck levels', async (t) => {
  const repo = tempDir(t);
  writeBrokenRepo(repo);
  const classes = JSON.parse(fixture('gentoo-ci', 'keyword-classes.json')) as Record<string, string>;
  const out = jsonLines((await standin('pkgcheck', ['scan', '-R', 'JsonReporter'], { cwd: repo })).stdout);
  const levels = new Map<string, string>();
  const walk = (node: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('_')) for (const keyword of Object.keys(value as object)) levels.set(keyword, key.slice(1));
      else walk(value as Record<string, unknown>);
    }
  };
  out.forEach(walk);
  for (const keyword of levels.keys()) t.true(keyword in classes, `${keyword} is in keyword-classes.json`);
  t.deepEqual(Object.fromEntries([...levels].sort()), {
    BadDescription: 'style',
    BadKeywords: 'warning',
    BannedEapi: 'error',
    CatMissingMetadataXml: 'error',
    DeprecatedEapi: 'warning',
    EclassDocError: 'warning',
    MissingLicense: 'error',
    NoFinalNewline: 'style',
    PkgMissingMetadataXml: 'error',
    UnknownKeywords: 'error',
    UnknownLicense: 'error',
    UnquotedVariable: 'warning',
    UnusedLicenses: 'warning',
  });
});

test('scan: each reporter of the same results; replay of a scan equals the direct scan', async (t) => {
  const repo = tempDir(t);
  writeBrokenRepo(repo);
  const stream = (await standin('pkgcheck', ['scan', '-R', 'JsonStream'], { cwd: repo })).stdout;
  const file = path.join(tempDir(t), 'scan.jsonl');
  fs.writeFileSync(file, stream);
  for (const [reporter] of FORMATS) {
    const direct = await standin('pkgcheck', ['scan', '-R', reporter], { cwd: repo });
    const replayed = await standin('pkgcheck', ['replay', '-R', reporter, file], { cwd: repo });
    t.is(replayed.stdout, direct.stdout, reporter);
  }
  const xml = (await standin('pkgcheck', ['scan', '--reporter=XmlReporter'], { cwd: repo })).stdout;
  t.true(xml.startsWith('<checks>\n') && xml.endsWith('</checks>\n'));
  t.regex(xml, /<result><category>cat-a<\/category><package>pkg<\/package><version>3<\/version><class>UnquotedVariable<\/class><msg>unquoted variable D on lines: 7, 10<\/msg><\/result>/);
  t.regex(xml, /<result><class>UnusedLicenses<\/class><msg>unused license: Unused<\/msg><\/result>/);
  const json = (await standin('pkgcheck', ['scan', '-R', 'JsonReporter'], { cwd: repo })).stdout;
  t.true(json.includes('{"cat-a": {"pkg": {"2": {"_style": {"BadDescription": "DESCRIPTION=\\"short\\" under 10 chars in length"}}}}}\n'));
  t.true(json.includes('{"cat-b": {"other": {"_error": {"PkgMissingMetadataXml": "package is missing metadata.xml"}}}}\n'));
  const fancy = (await standin('pkgcheck', ['scan'], { cwd: repo })).stdout;
  t.true(fancy.startsWith('repo\n  UnusedLicenses: unused license: Unused\n\neclass\n  EclassDocError: nodoc: failed parsing eclass docs:'));
});

test('scan: targets, scopes and keyword filters', async (t) => {
  const repo = tempDir(t);
  writeBrokenRepo(repo);
  const scan = async (...args: string[]) => {
    const out = await standin('pkgcheck', ['scan', '-R', 'JsonStream', ...args], { cwd: repo });
    t.is(out.exitCode, 0, out.stderr);
    return notation(out.stdout);
  };
  t.deepEqual(await scan('cat-b/other'), ['cat-b/other PkgMissingMetadataXml', 'cat-b/other-1.0-r1 BadDescription']);
  t.deepEqual(await scan('=cat-a/pkg-1'), ['cat-a/pkg-1 BannedEapi']);
  t.deepEqual(await scan('cat-a/pkg/pkg-1.ebuild'), ['cat-a/pkg-1 BannedEapi']);
  t.deepEqual(await scan('cat-b/*'), ['cat-b CatMissingMetadataXml', 'cat-b/other PkgMissingMetadataXml', 'cat-b/other-1.0-r1 BadDescription']);
  t.deepEqual(await scan('*/*', '-s', 'repo,cat'), ['cat-b CatMissingMetadataXml', 'repo UnusedLicenses']);
  t.deepEqual(await scan('eclass/nodoc.eclass'), ['eclass:nodoc EclassDocError']);
  t.deepEqual(await scan('cat-b/other', 'cat-a/nonexistent', 'eclass/nodoc.eclass'), [
    'cat-b/other PkgMissingMetadataXml',
    'cat-b/other-1.0-r1 BadDescription',
    'eclass:nodoc EclassDocError',
  ]);
  t.deepEqual(await scan('-s', 'pkg', 'cat-b/other'), ['cat-b/other PkgMissingMetadataXml']);
  t.deepEqual(await scan('-k', 'UnquotedVariable,BannedEapi'), ['cat-a/pkg-1 BannedEapi', 'cat-a/pkg-3 UnquotedVariable', 'cat-a/pkg-3 UnquotedVariable']);
  t.deepEqual(await scan('-c', 'EapiCheck', 'cat-a/pkg'), ['cat-a/pkg-1 BannedEapi', 'cat-a/pkg-2 DeprecatedEapi']);
  t.deepEqual(await scan('--checks=+PerlCheck', '-C', 'GentooCI', 'cat-a/pkg'), ['cat-a/pkg-2 BadKeywords', 'cat-a/pkg-3 MissingLicense']);
  t.deepEqual(await scan('-q', 'cat-a/pkg'), ['cat-a/pkg-1 BannedEapi', 'cat-a/pkg-2 UnknownLicense', 'cat-a/pkg-3 MissingLicense', 'cat-a/pkg-3 UnknownKeywords']);
  // From inside a package folder, with no targets: that package.
  const inside = await standin('pkgcheck', ['scan', '-R', 'JsonStream'], { cwd: path.join(repo, 'cat-b', 'other') });
  t.deepEqual(notation(inside.stdout), ['cat-b/other PkgMissingMetadataXml', 'cat-b/other-1.0-r1 BadDescription']);
});

test('scan: --repo by path from elsewhere, or by name from inside', async (t) => {
  const repo = tempDir(t);
  writeBrokenRepo(repo);
  const elsewhere = tempDir(t);
  const byPath = await standin('pkgcheck', ['scan', '-R', 'JsonStream', '--repo', repo, 'cat-b/other'], { cwd: elsewhere });
  t.is(byPath.exitCode, 0, byPath.stderr);
  t.is(notation(byPath.stdout).length, 2);
  const byName = await standin('pkgcheck', ['scan', '-R', 'JsonStream', '-r', 'broken', 'cat-b/other'], { cwd: path.join(repo, 'cat-a') });
  t.deepEqual(byName.stdout, byPath.stdout);
});

test('scan: exit status 0 with findings, 1 with --exit, 2 for argument errors', async (t) => {
  const repo = tempDir(t);
  writeBrokenRepo(repo);
  const run = (...args: string[]) => standin('pkgcheck', ['scan', '-R', 'JsonStream', ...args], { cwd: repo });
  t.is((await run()).exitCode, 0);
  t.is((await run('--exit')).exitCode, 1);
  t.is((await run('--exit', 'cat-b/other')).exitCode, 0, 'argparse takes the target as the --exit value, as pkgcheck does');
  t.is((await run('--exit=NoFinalNewline', 'cat-b/other')).exitCode, 0);
  t.is((await run('--exit=NoFinalNewline', 'cat-a/pkg')).exitCode, 1);
  t.is((await run('--exit', '-s', 'repo')).exitCode, 0, 'UnusedLicenses is a warning');
  for (const [args, message] of [
    [['--bogus'], /^pkgcheck scan: error: unrecognized arguments: --bogus\n$/],
    [['-R', 'Nope'], /no reporter matches 'Nope'/],
    [['-s', 'planet'], /unknown scope: 'planet'/],
    [['-C', 'Nope'], /unknown checkset: 'Nope'/],
    [['=broken-atom'], /invalid atom/],
    [['-r', 'nowhere'], /unknown repo: 'nowhere'/],
  ] as Array<[string[], RegExp]>) {
    const out = await run(...args);
    t.is(out.exitCode, 2, args.join(' '));
    t.regex(out.stderr, message, args.join(' '));
  }
  const lost = await standin('pkgcheck', ['scan'], { cwd: tempDir(t) });
  t.is(lost.exitCode, 2);
  t.is(lost.stderr, 'pkgcheck scan: error: no default repo found\n');
  t.is((await standin('pkgcheck', ['frobnicate'], { cwd: repo })).exitCode, 2);
});

test('REFCI_STANDIN_LOG records each invocation', async (t) => {
  const repo = tempDir(t);
  writeBrokenRepo(repo);
  const log = path.join(tempDir(t), 'calls.jsonl');
  const env = { REFCI_STANDIN_LOG: log };
  await standin('pmaint', ['regen', '--use-local-desc', '--pkg-desc-index', '-t', '3', 'broken'], { cwd: repo, env });
  await standin('pkgcheck', ['scan', '-R', 'XmlReporter', '-p', 'stable,dev', '--cache=-git', '*/*', '-s', 'repo,cat'], { cwd: repo, env });
  await standin('pkgcheck', ['--version'], { cwd: repo, env });
  t.deepEqual(jsonLines(fs.readFileSync(log, 'utf8')), [
    { tool: 'pmaint', argv: ['regen', '--use-local-desc', '--pkg-desc-index', '-t', '3', 'broken'], cwd: repo },
    { tool: 'pkgcheck', argv: ['scan', '-R', 'XmlReporter', '-p', 'stable,dev', '--cache=-git', '*/*', '-s', 'repo,cat'], cwd: repo },
    { tool: 'pkgcheck', argv: ['--version'], cwd: repo },
  ]);
});

test('scan: an overlay whose master repos.conf does not locate fails as pkgcore does; located, it scans in the master\'s categories', async (t) => {
  const dir = tempDir(t);
  const files: Record<string, string> = {
    'overlay/profiles/repo_name': 'myoverlay\n',
    'overlay/metadata/layout.conf': 'masters = gentoo\n',
    'overlay/app-misc/hello/hello-1.ebuild': 'EAPI=8\nDESCRIPTION="Friendly greeting program"\nSLOT="0"\nKEYWORDS="amd64"\n',
    'gentoo/profiles/repo_name': 'gentoo\n',
    'gentoo/profiles/categories': 'app-misc\n',
    'root/etc/portage/repos.conf/gentoo.conf': `[gentoo]\nlocation = ${path.join(dir, 'gentoo')}\n`,
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const overlay = path.join(dir, 'overlay');
  const bare = await standin('pkgcheck', ['scan', '-R', 'JsonStream', 'app-misc/hello'], { cwd: overlay, env: { PORTAGE_CONFIGROOT: path.join(dir, 'nowhere') } });
  t.is(bare.exitCode, 2);
  t.is(bare.stderr, `pkgcheck scan: error: repo 'myoverlay' at path '${overlay}' has missing masters: 'gentoo'\n`);
  t.is(bare.stdout, '');
  const located = await standin('pkgcheck', ['scan', '-R', 'JsonStream', 'app-misc/hello'], { cwd: overlay, env: { PORTAGE_CONFIGROOT: path.join(dir, 'root') } });
  t.is(located.exitCode, 0, located.stderr);
  t.true(notation(located.stdout).some((line) => line.startsWith('app-misc/hello')), located.stdout);
});

test('--config DIR: repos.conf there locates the masters; without the master both tools refuse in pkgcore\'s words, with it eclasses come from the master', async (t) => {
  const dir = tempDir(t);
  const files: Record<string, string> = {
    'overlay/profiles/repo_name': 'myoverlay\n',
    'overlay/metadata/layout.conf': 'masters = gentoo\n',
    'overlay/app-misc/hello/hello-1.ebuild': 'EAPI=8\ninherit greet\nDESCRIPTION="Friendly greeting program"\nSLOT="0"\nKEYWORDS="amd64"\n',
    'gentoo/profiles/repo_name': 'gentoo\n',
    'gentoo/profiles/categories': 'app-misc\n',
    'gentoo/eclass/greet.eclass': '# @ECLASS: greet.eclass\n# @MAINTAINER:\n# x@example.org\nHOMEPAGE="https://example.org"\n',
    'alone/repos.conf': `[DEFAULT]\nmain-repo = myoverlay\n\n[myoverlay]\nlocation = ${path.join(dir, 'overlay')}\n`,
    'both/repos.conf': `[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = ${path.join(dir, 'gentoo')}\n\n[myoverlay]\nlocation = ${path.join(dir, 'overlay')}\n`,
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const overlay = path.join(dir, 'overlay');
  // The host's repos.conf (here: one that does locate gentoo) is not read when --config names another.
  const env = { PORTAGE_CONFIGROOT: path.join(dir, 'nowhere') };
  const refusal = `has missing masters: 'gentoo'\n`;
  const scanAlone = await standin('pkgcheck', ['--config', path.join(dir, 'alone'), 'scan', '-R', 'JsonStream', 'app-misc/hello'], { cwd: overlay, env });
  t.is(scanAlone.exitCode, 2);
  t.is(scanAlone.stderr, `pkgcheck scan: error: repo 'myoverlay' at path '${overlay}' ${refusal}`);
  const regenAlone = await standin('pmaint', ['--config', path.join(dir, 'alone'), 'regen', overlay], { cwd: dir, env });
  t.is(regenAlone.exitCode, 2);
  t.is(regenAlone.stderr, `pmaint regen: error: repo 'myoverlay' at path '${overlay}' ${refusal}`);

  const regen = await standin('pmaint', ['--config', path.join(dir, 'both'), 'regen', overlay], { cwd: dir, env });
  t.is(regen.exitCode, 0, regen.stderr);
  const entry = fs.readFileSync(path.join(overlay, 'metadata/md5-cache/app-misc/hello-1'), 'utf8');
  t.regex(entry, /^_eclasses_=greet\t[0-9a-f]{32}$/m);
  t.regex(entry, /^HOMEPAGE=https:\/\/example\.org$/m);
  const scan = await standin('pkgcheck', ['--config', path.join(dir, 'both'), 'scan', '-R', 'JsonStream', 'app-misc/hello'], { cwd: overlay, env });
  t.is(scan.exitCode, 0, scan.stderr);
  const missing = await standin('pkgcheck', ['--config', path.join(dir, 'none'), 'scan'], { cwd: overlay, env });
  t.is(missing.exitCode, 2);
  t.is(missing.stderr, `pkgcheck: error: argument --config: nonexistent path: '${path.join(dir, 'none')}'\n`);
});

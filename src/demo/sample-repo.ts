/**
 * A small ebuild repository for the demo and end-to-end tests: three
 * categories, five packages, two eclasses, some findings already present on
 * master, and pull-request heads on `pr/*` branches whose expected outcomes
 * are spelled out in `description` and `expect`. Each head is also
 * `refs/pull/N/head`, where GitHub publishes a pull request's head, so
 * `refci enqueue --pull-refs` finds them all.
 *
 * History:
 *   base    "Initial import": the tree below; every pr/* branch forks here.
 *   master  base + "app-misc/hello: describe the greeting better" (edits the
 *           DESCRIPTION line of hello-1.0.ebuild, which pr/5 edits too).
 *
 * Findings on master (pkgcheck stand-in; level, then Gentoo CI class):
 *   (repo)                  UnusedLicenses: unused license: Artistic     warning, ignored
 *   app-misc/oldtool-0.9    BannedEapi: uses banned EAPI 5             error, err
 *   dev-libs/libfoo         PkgMissingMetadataXml                      error, err
 *   dev-libs/libfoo-1.2     UnquotedVariable: unquoted variable D      warning, staging
 *   dev-util/buildkit-3.0   DeprecatedEapi: uses deprecated EAPI 6     warning, verbose
 *   dev-util/buildkit-3.1   NoFinalNewline                             style, warn
 *
 * Like gentoo.git, the repository does not track metadata/md5-cache: run
 * `pmaint regen` to create it (it is in .gitignore).
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { initWorkTree } from '../git/init.ts';
import { identityEnv } from '../git/identity.ts';
import { updateRefs } from '../git/refs.ts';
import { checkoutBranch, checkoutNewBranch, commitAll } from '../git/worktree.ts';

export interface SampleHeadExpectation {
  /** How a refci gentoo job on this head ends under Gentoo CI's keyword classes. */
  outcome: 'success' | 'failure' | 'merge-conflict' | 'regen-error';
  /** Package targets scope.ts computes (diff master..merged). */
  targets: string[];
  repoLevel: boolean;
  /** Changed eclasses scanned as eclass targets. */
  eclasses: string[];
  /** Findings present after the merge only, as `<cat/pkg[-ver] or repo> <Keyword>`. */
  newFindings: string[];
  /** Findings present before the merge only. */
  fixedFindings: string[];
}

export interface SampleHead {
  /** Branch name, `pr/N`. */
  name: string;
  sha: string;
  description: string;
  expect: SampleHeadExpectation;
}

export interface SampleRepo {
  path: string;
  /** The commit every pr/* branch forks from. */
  base: string;
  /** The tip of master: base plus one commit (pr/5 conflicts with it). */
  master: string;
  heads: SampleHead[];
  /** Findings on master, in the same notation as `expect`. */
  preexisting: string[];
}

/** Fixed author and dates: the sample repository's commit ids are the same on every machine. */
const AUTHOR = { name: 'Larry the Cow', email: 'larry@example.org' };
const EPOCH = Date.parse('2026-01-05T10:00:00Z') / 1000;

export const SAMPLE_PREEXISTING = [
  'repo UnusedLicenses',
  'app-misc/oldtool-0.9 BannedEapi',
  'dev-libs/libfoo PkgMissingMetadataXml',
  'dev-libs/libfoo-1.2 UnquotedVariable',
  'dev-util/buildkit-3.0 DeprecatedEapi',
  'dev-util/buildkit-3.1 NoFinalNewline',
];

/**
 * Creates the repository in `dir` (which must be missing or empty) with branch
 * master and the pr/* heads. Commits have fixed dates and identity, so the
 * same git version produces the same commit ids on every run.
 */
export async function createSampleEbuildRepo(dir: string): Promise<SampleRepo> {
  const root = path.resolve(dir);
  await fs.mkdir(root, { recursive: true });
  if ((await fs.readdir(root)).length > 0) {
    throw new RefciError('invalid-input', `cannot create the sample repository in ${root}: the folder is not empty`, 'pass a new or empty folder');
  }
  let tick = 0;
  const commit = (message: string): Promise<string> => commitAll(root, message, identityEnv(AUTHOR.name, AUTHOR.email, EPOCH + 3600 * tick++));
  const apply = async (change: TreeChange) => {
    for (const [file, content] of Object.entries(change.write ?? {})) {
      await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await fs.writeFile(path.join(root, file), content);
    }
    for (const file of change.remove ?? []) await fs.rm(path.join(root, file), { force: true });
  };

  await initWorkTree(root, 'master');
  await apply({ write: baseTree() });
  const base = await commit('Initial import of the sample ebuild repository');

  await apply({ write: { 'app-misc/hello/hello-1.0.ebuild': helloEbuild('1.0', 'Friendly greeting program with localized messages', 'amd64 ~arm64 x86') } });
  const master = await commit('app-misc/hello: describe the greeting better');

  const heads: SampleHead[] = [];
  for (const pr of pullRequests()) {
    await checkoutNewBranch(root, pr.name, base);
    await apply(pr.change);
    const sha = await commit(pr.message);
    heads.push({ name: pr.name, sha, description: pr.description, expect: pr.expect });
  }
  await checkoutBranch(root, 'master');
  await updateRefs(path.join(root, '.git'), heads.map((head) => ({ ref: pullRef(head.name), newOid: head.sha })));
  return { path: root, base, master, heads, preexisting: [...SAMPLE_PREEXISTING] };
}

interface TreeChange {
  write?: Record<string, string>;
  remove?: string[];
}

interface PullRequestSpec {
  name: string;
  message: string;
  change: TreeChange;
  description: string;
  expect: SampleHeadExpectation;
}

function pullRequests(): PullRequestSpec[] {
  const none = { repoLevel: false, eclasses: [] as string[], newFindings: [] as string[], fixedFindings: [] as string[] };
  return [
    {
      name: 'pr/1',
      message: 'app-misc/hello: add 1.1',
      change: {
        write: {
          'app-misc/hello/hello-1.1.ebuild': helloEbuild('1.1', 'Friendly greeting program', '~amd64 ~arm64 ~x86'),
          'app-misc/hello/Manifest': manifest(['hello-1.0.tar.gz', 'hello-1.1.tar.gz']),
        },
      },
      description: 'clean version bump: adds app-misc/hello-1.1 (EAPI 8, ~arch keywords). Scope: app-misc/hello. No new findings: success.',
      expect: { ...none, outcome: 'success', targets: ['app-misc/hello'] },
    },
    {
      name: 'pr/2',
      message: 'app-misc/oldtool: add Artistic-2 to LICENSE',
      change: { write: { 'app-misc/oldtool/oldtool-0.9.ebuild': oldtoolEbuild('|| ( GPL-2 Artistic-2 )') } },
      description:
        'new error in an already broken package: app-misc/oldtool-0.9 keeps its BannedEapi (err) and gains UnknownLicense Artistic-2 (err). ' +
        'Scope: app-misc/oldtool. A finding-level diff reports 1 new error: failure. Gentoo CI today compares broken packages only, ' +
        'and oldtool was broken before, so it would report nothing new.',
      expect: { ...none, outcome: 'failure', targets: ['app-misc/oldtool'], newFindings: ['app-misc/oldtool-0.9 UnknownLicense'] },
    },
    {
      name: 'pr/3',
      message: 'dev-libs/libfoo: add metadata.xml',
      change: { write: { 'dev-libs/libfoo/metadata.xml': packageMetadata('libfoo', []) } },
      description:
        'fixes an existing error: adds dev-libs/libfoo/metadata.xml, so PkgMissingMetadataXml (err) goes away; the UnquotedVariable ' +
        '(staging) on libfoo-1.2 stays. Scope: dev-libs/libfoo. 1 fixed, no new findings: success.',
      expect: { ...none, outcome: 'success', targets: ['dev-libs/libfoo'], fixedFindings: ['dev-libs/libfoo PkgMissingMetadataXml'] },
    },
    {
      name: 'pr/4',
      message: 'toolchain-funcs.eclass: add tc-getCXX',
      change: { write: { 'eclass/toolchain-funcs.eclass': toolchainFuncsEclass(true) } },
      description:
        'eclass change: adds tc-getCXX to eclass/toolchain-funcs.eclass. Scope: its inheritors app-misc/hello (through sample-build), ' +
        'dev-libs/libbar (through sample-build) and dev-libs/libfoo (directly), plus the eclass itself. libfoo\'s existing findings ' +
        'show up before and after: no new findings: success.',
      expect: { ...none, outcome: 'success', targets: ['app-misc/hello', 'dev-libs/libbar', 'dev-libs/libfoo'], eclasses: ['toolchain-funcs'] },
    },
    {
      name: 'pr/5',
      message: 'app-misc/hello: reword DESCRIPTION',
      change: { write: { 'app-misc/hello/hello-1.0.ebuild': helloEbuild('1.0', 'Prints a friendly greeting', 'amd64 ~arm64 x86') } },
      description:
        'merge conflict: rewrites the DESCRIPTION line of app-misc/hello/hello-1.0.ebuild, which master changed after the fork. ' +
        'Merging into master fails: the job ends in error before any scan (merging onto the fork point alone would be clean).',
      expect: { ...none, outcome: 'merge-conflict', targets: ['app-misc/hello'] },
    },
    {
      name: 'pr/6',
      message: 'dev-util/buildkit: add 3.2',
      change: { write: { 'dev-util/buildkit/buildkit-3.2.ebuild': buildkitEbuild('8', 'amd64 x86', true) } },
      description:
        'metadata regeneration fails: dev-util/buildkit-3.2.ebuild dies while sourced (die "regen-failure"), so ' +
        'pmaint regen exits non-zero: the job ends in error, not failure.',
      expect: { ...none, outcome: 'regen-error', targets: ['dev-util/buildkit'] },
    },
    {
      name: 'pr/7',
      message: 'licenses: drop unused Artistic',
      change: { remove: ['licenses/Artistic'] },
      description:
        'repository-level change only: removes licenses/Artistic. No package targets; repoLevel (repository and category checks, ' +
        '"*/*" -s repo,cat). The global UnusedLicenses warning (ignored class) is fixed; nothing new: success.',
      expect: { ...none, outcome: 'success', targets: [], repoLevel: true, fixedFindings: ['repo UnusedLicenses'] },
    },
  ];
}

// ---------------------------------------------------------------------------
// The tree at base.

const HEADER = '# Copyright 2024-2026 Gentoo Authors\n# Distributed under the terms of the GNU General Public License v2\n';

function baseTree(): Record<string, string> {
  return {
    '.gitignore': '/distfiles/\n/packages/\n/metadata/md5-cache/\n/metadata/pkg_desc_index\n/profiles/use.local.desc\n',
    'header.txt': HEADER,
    'profiles/repo_name': 'gentoo\n',
    'profiles/categories': 'app-misc\ndev-libs\ndev-util\n',
    'profiles/arch.list': '# Architectures with keywords in this repository.\namd64\narm64\nx86\n',
    'profiles/profiles.desc':
      '# arch\tprofile directory\tstatus\namd64\tdefault/linux/amd64\tstable\narm64\tdefault/linux/arm64\tdev\nx86\tdefault/linux/x86\tstable\n',
    'profiles/default/linux/eapi': '8\n',
    'profiles/default/linux/make.defaults': 'USE="nls"\n',
    'profiles/default/linux/amd64/parent': '..\n',
    'profiles/default/linux/amd64/make.defaults': 'ARCH="amd64"\nACCEPT_KEYWORDS="amd64"\n',
    'profiles/default/linux/arm64/parent': '..\n',
    'profiles/default/linux/arm64/make.defaults': 'ARCH="arm64"\nACCEPT_KEYWORDS="arm64"\n',
    'profiles/default/linux/x86/parent': '..\n',
    'profiles/default/linux/x86/make.defaults': 'ARCH="x86"\nACCEPT_KEYWORDS="x86"\n',
    'profiles/use.desc': 'nls - Add Native Language Support (using gettext - GNU locale utilities)\ntest - Enable dependencies and/or preparations necessary to run tests\n',
    'metadata/layout.conf': [
      '# Sample ebuild repository for refci tests and demos.',
      'repo-name = gentoo',
      'masters =',
      'thin-manifests = true',
      'sign-manifests = false',
      'cache-formats = md5-dict',
      'profile-formats = portage-2 profile-default-eapi profile-set',
      'eapis-banned = 0 1 2 3 4 5',
      'eapis-deprecated = 6',
      'manifest-hashes = BLAKE2B SHA512',
      'update-changelog = false',
      '',
    ].join('\n'),
    'licenses/GPL-2': 'GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991\n\n(abridged for the sample repository)\n',
    'licenses/MIT': 'MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n(abridged for the sample repository)\n',
    'licenses/BSD': 'BSD 3-Clause License\n\nRedistribution and use in source and binary forms, with or without\n(abridged for the sample repository)\n',
    'licenses/Artistic': 'The "Artistic License"\n\n(abridged for the sample repository; used by no package)\n',
    'eclass/toolchain-funcs.eclass': toolchainFuncsEclass(false),
    'eclass/sample-build.eclass': sampleBuildEclass(),

    'app-misc/metadata.xml': categoryMetadata('The app-misc category contains miscellaneous applications.'),
    'app-misc/hello/metadata.xml': packageMetadata('hello', [['nls', 'Translate the greeting with <pkg>sys-devel/gettext</pkg>']]),
    'app-misc/hello/Manifest': manifest(['hello-1.0.tar.gz']),
    'app-misc/hello/hello-1.0.ebuild': helloEbuild('1.0', 'Friendly greeting program', 'amd64 ~arm64 x86'),
    'app-misc/oldtool/metadata.xml': packageMetadata('oldtool', []),
    'app-misc/oldtool/Manifest': manifest(['oldtool-0.9.tar.bz2']),
    'app-misc/oldtool/oldtool-0.9.ebuild': oldtoolEbuild('GPL-2'),

    'dev-libs/metadata.xml': categoryMetadata('The dev-libs category contains various programming libraries.'),
    'dev-libs/libfoo/Manifest': manifest(['libfoo-1.2.tar.xz']),
    'dev-libs/libfoo/libfoo-1.2.ebuild': libfooEbuild(),
    'dev-libs/libbar/metadata.xml': packageMetadata('libbar', [['static-libs', 'Build static versions of the libraries']]),
    'dev-libs/libbar/Manifest': manifest(['libbar-2.0.tar.gz']),
    'dev-libs/libbar/libbar-2.0.ebuild': libbarEbuild(),

    'dev-util/metadata.xml': categoryMetadata('The dev-util category contains various development utilities.'),
    'dev-util/buildkit/metadata.xml': packageMetadata('buildkit', []),
    'dev-util/buildkit/Manifest': manifest(['buildkit-3.0.tar.gz', 'buildkit-3.1.tar.gz']),
    'dev-util/buildkit/buildkit-3.0.ebuild': buildkitEbuild('6', 'amd64 x86', false),
    // No final newline: NoFinalNewline.
    'dev-util/buildkit/buildkit-3.1.ebuild': buildkitEbuild('7', '~amd64 ~x86', false).replace(/\n$/, ''),
  };
}

function helloEbuild(version: string, description: string, keywords: string): string {
  return `${HEADER}
EAPI=8

inherit sample-build

DESCRIPTION="${description}"
HOMEPAGE="https://example.org/hello/"
SRC_URI="https://example.org/hello/\${P}.tar.gz"

LICENSE="GPL-2"
SLOT="0"
KEYWORDS="${keywords}"
IUSE="nls"

RDEPEND="dev-libs/libbar:="
DEPEND="\${RDEPEND}"
${version === '1.0' ? '' : '\nDOCS=( AUTHORS NEWS README )\n'}
src_configure() {
	econf $(use_enable nls)
}
`;
}

function oldtoolEbuild(license: string): string {
  return `${HEADER}
EAPI=5

DESCRIPTION="Legacy text processing tool kept for old shell scripts"
HOMEPAGE="https://example.org/oldtool/"
SRC_URI="https://example.org/oldtool/\${P}.tar.bz2"

LICENSE="${license}"
SLOT="0"
KEYWORDS="amd64 x86"

src_install() {
	emake DESTDIR="\${D}" install
	dodoc README
}
`;
}

function libfooEbuild(): string {
  return `${HEADER}
EAPI=8

inherit toolchain-funcs

DESCRIPTION="Small utility library shared by the sample packages"
HOMEPAGE="https://example.org/libfoo/"
SRC_URI="https://example.org/libfoo/\${P}.tar.xz"

LICENSE="MIT"
SLOT="0/1"
KEYWORDS="amd64 ~arm64 x86"

src_compile() {
	emake CC="$(tc-getCC)"
}

src_install() {
	emake DESTDIR="\${D}" PREFIX="\${EPREFIX}/usr" install
	rm -r \${D}/usr/share/doc/\${PN}/examples || die
	einstalldocs
}
`;
}

function libbarEbuild(): string {
  return `${HEADER}
EAPI=8

inherit sample-build

DESCRIPTION="Companion library with string helpers"
HOMEPAGE="https://example.org/libbar/"
SRC_URI="https://example.org/libbar/\${P}.tar.gz"

LICENSE="BSD"
SLOT="0/2"
KEYWORDS="amd64 arm64 x86"
IUSE="static-libs"

RDEPEND="dev-libs/libfoo:="
DEPEND="\${RDEPEND}"
`;
}

function buildkitEbuild(eapi: string, keywords: string, regenFailure: boolean): string {
  const failure = regenFailure ? '\nif [[ ${PV} == 3.2 ]]; then\n\t# The tarball layout changed; this ebuild is not finished.\n\tdie "regen-failure"\nfi\n' : '';
  return `${HEADER}
EAPI=${eapi}

DESCRIPTION="Command-line helpers for reproducible builds"
HOMEPAGE="https://example.org/buildkit/"
SRC_URI="https://example.org/buildkit/\${P}.tar.gz"

LICENSE="MIT"
SLOT="0"
KEYWORDS="${keywords}"
${failure}
src_install() {
	dobin bin/buildkit
	einstalldocs
}
`;
}

function toolchainFuncsEclass(withCxx: boolean): string {
  const cxx = withCxx
    ? `
# @FUNCTION: tc-getCXX
# @USAGE: [toolchain prefix]
# @RETURN: name of the C++ compiler
tc-getCXX() {
	echo "\${CXX:-g++}"
}
`
    : '';
  return `${HEADER}
# @ECLASS: toolchain-funcs.eclass
# @MAINTAINER:
# Toolchain Project <toolchain@example.org>
# @SUPPORTED_EAPIS: 6 7 8
# @BLURB: functions to query common info about the toolchain
# @DESCRIPTION:
# A small subset of toolchain-funcs for the sample repository.

if [[ -z \${_TOOLCHAIN_FUNCS_ECLASS} ]]; then
_TOOLCHAIN_FUNCS_ECLASS=1

# @FUNCTION: tc-getCC
# @USAGE: [toolchain prefix]
# @RETURN: name of the C compiler
tc-getCC() {
	echo "\${CC:-gcc}"
}
${cxx}
fi
`;
}

function sampleBuildEclass(): string {
  return `${HEADER}
# @ECLASS: sample-build.eclass
# @MAINTAINER:
# Build Team <build@example.org>
# @SUPPORTED_EAPIS: 7 8
# @BLURB: build and install phases for simple make-based packages
# @DESCRIPTION:
# Exports src_compile and src_install that call emake with the toolchain's compiler.

case \${EAPI} in
	7|8) ;;
	*) die "\${ECLASS}: EAPI \${EAPI:-0} not supported" ;;
esac

if [[ -z \${_SAMPLE_BUILD_ECLASS} ]]; then
_SAMPLE_BUILD_ECLASS=1

inherit toolchain-funcs

# @FUNCTION: sample-build_src_compile
# @DESCRIPTION:
# Builds with the configured C compiler.
sample-build_src_compile() {
	emake CC="$(tc-getCC)"
}

# @FUNCTION: sample-build_src_install
# @DESCRIPTION:
# Installs into the image and installs the documentation.
sample-build_src_install() {
	emake DESTDIR="\${D}" install
	einstalldocs
}

fi

EXPORT_FUNCTIONS src_compile src_install
`;
}

function categoryMetadata(text: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE catmetadata SYSTEM "https://www.gentoo.org/dtd/metadata.dtd">
<catmetadata>
	<longdescription lang="en">
		${text}
	</longdescription>
</catmetadata>
`;
}

function packageMetadata(pkg: string, flags: [string, string][]): string {
  const use = flags.length
    ? `\t<use>\n${flags.map(([name, text]) => `\t\t<flag name="${name}">${text}</flag>`).join('\n')}\n\t</use>\n`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE pkgmetadata SYSTEM "https://www.gentoo.org/dtd/metadata.dtd">
<pkgmetadata>
	<maintainer type="person">
		<email>larry@example.org</email>
		<name>Larry the Cow</name>
	</maintainer>
${use}	<upstream>
		<remote-id type="github">example/${pkg}</remote-id>
	</upstream>
</pkgmetadata>
`;
}

/** Thin-manifest DIST lines with made-up but well-formed sizes and hashes. */
function manifest(files: string[]): string {
  return files
    .map((name) => {
      const size = 10_000 + (parseInt(crypto.createHash('sha256').update(name).digest('hex').slice(0, 6), 16) % 90_000);
      const blake = crypto.createHash('blake2b512').update(name).digest('hex');
      const sha = crypto.createHash('sha512').update(name).digest('hex');
      return `DIST ${name} ${size} BLAKE2B ${blake} SHA512 ${sha}\n`;
    })
    .join('');
}

/** The pull-request ref of a sample head: `pr/5` is `refs/pull/5/head`. */
function pullRef(head: string): string {
  return `refs/pull/${head.slice('pr/'.length)}/head`;
}

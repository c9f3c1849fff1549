/**
 * What pkgcheck must scan for one pull request (pure). Gentoo's CI scans the
 * whole tree for every PR; most PRs touch one or two packages, so refci scans
 * the packages a change can affect and falls back to the whole tree when that
 * set grows past a threshold.
 *
 * Rules, by path (relative to the repository root):
 * - `<cat>/<pkg>/...` (ebuilds, files/, Manifest, metadata.xml): that package.
 *   A package that is gone from the merged tree is not a target (there is
 *   nothing to scan) but is noted in `reasons` and `deleted`; the packages
 *   whose ebuilds still name it, and the repository-level checks, are added
 *   after (removed-dependents.ts).
 * - `eclass/<name>.eclass`: every package that inherits it, directly or through
 *   another eclass (md5-cache `_eclasses_` is transitive), and the eclass
 *   itself (eclass-scope checks).
 * - `profiles/`, `licenses/`, `metadata/` (except the generated md5-cache and
 *   pkg_desc_index) and `<cat>/metadata.xml`: repository- and category-level
 *   checks (`repoLevel`).
 * - anything else (top-level files, scripts/, dot folders): nothing to scan;
 *   noted.
 * More package targets than `maxTargets`: the whole tree (`mode: 'full'`).
 *
 * What the rules cannot see: a change to profiles/ (package.mask, arch.list,
 * layout.conf's banned EAPIs) or to licenses/ can change the findings of
 * packages nobody touched (visibility, UnknownLicense), and a removed package
 * can be named by an eclass or built from variables where no ebuild line
 * names it. `escalateRepoLevel` turns every
 * repository-level change into a full scan for fleets that want that
 * certainty; by default refci runs the repository-level checks only, as
 * Gentoo's CI does for its baseline.
 */
import { RefciError } from '../errors.ts';
import { splitPackageVersion } from './md5-cache.ts';

export type ChangeStatus = 'A' | 'M' | 'D' | 'R' | 'T';

export interface ChangedPath {
  status: ChangeStatus;
  /** The path after the change (for D, the removed path). */
  path: string;
  /** For R: the path before the rename. */
  oldPath?: string;
}

export interface ScopeInput {
  /** Changed paths between the tree the PR is merged onto and the merged tree. */
  changes: readonly ChangedPath[];
  /**
   * `cat/pkg` -> eclasses its versions inherit, for the merged tree (from the
   * md5-cache after regen). Every package of the tree should be a key, with an
   * empty list when it inherits nothing: the keys also say which packages exist
   * when `existingPackages` is not given.
   */
  eclassesByPackage: ReadonlyMap<string, Iterable<string>>;
  /** Above this many package targets, scan the whole tree. */
  maxTargets: number;
  /** `cat/pkg` present in the merged tree; overrides the guess from `eclassesByPackage`. */
  existingPackages?: ReadonlySet<string>;
  /**
   * The categories pkgcore knows for the repository: its own
   * profiles/categories and its masters' (an overlay's packages mostly live in
   * categories only gentoo lists). Without it any valid name counts. A
   * package in a folder that is no known category is still scanned and
   * listed in `unknownCategories`.
   */
  categories?: ReadonlySet<string>;
  /** Scan the whole tree for any repository-level change instead of running repo-level checks. */
  escalateRepoLevel?: boolean;
}

export interface ScopeReason {
  /** A `cat/pkg` atom, `eclass/<name>.eclass`, `repo`, `*` (full scan) or a path. */
  target: string;
  why: string;
}

export interface Scope {
  mode: 'targets' | 'full';
  /** Package targets (`cat/pkg`), sorted and unique; kept in full mode for the record. */
  targets: string[];
  /** Run repository- and category-level checks too. */
  repoLevel: boolean;
  /** Changed eclasses present in the merged tree, sorted (scanned as eclass targets). */
  eclasses: string[];
  /** Packages the change removed, sorted. */
  deleted: string[];
  /** Categories of package targets that neither the repository nor its masters list, sorted; passed to pkgcheck, which does not see them (the collector says so). */
  unknownCategories: string[];
  reasons: ScopeReason[];
}

// Top-level folders of an ebuild repository that are not categories.
const NOT_CATEGORIES = new Set(['eclass', 'profiles', 'metadata', 'licenses', 'scripts', 'distfiles', 'packages', 'local']);
const GENERATED_METADATA = new Set(['md5-cache', 'pkg_desc_index', 'cache']);
// PMS 3.1.1 and 3.1.2.
const CATEGORY_NAME = /^[A-Za-z0-9_][A-Za-z0-9+_.-]*$/;
const PACKAGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9+_-]*$/;

/** Whether `category` and `pkg` are names PMS allows: nothing else becomes a pkgcheck argument (a name starting with `-` would be an option). */
export function isPackageName(category: string, pkg: string): boolean {
  return CATEGORY_NAME.test(category) && PACKAGE_NAME.test(pkg);
}
const REPO_LEVEL_TOPS = new Set(['profiles', 'licenses', 'metadata']);

type Classified =
  | { kind: 'package'; atom: string; file: string; unknownCategory?: string }
  | { kind: 'eclass'; name: string }
  | { kind: 'repo'; why: string }
  | { kind: 'ignored'; why: string };

export function computeScope(input: ScopeInput): Scope {
  if (!Number.isInteger(input.maxTargets) || input.maxTargets < 0) {
    throw new RefciError('invalid-config', `gentoo.maxTargets must be a whole number of zero or more, got ${input.maxTargets}`);
  }
  const isCategory = (name: string) =>
    input.categories ? input.categories.has(name) : CATEGORY_NAME.test(name) && !NOT_CATEGORIES.has(name);
  // A package in a category nobody lists (a folder with ebuilds, or a changed
  // ebuild): pkgcheck reports it, so it is scanned and flagged, never dropped
  // as "outside packages". Other files there (tools/helper/run.sh) stay outside.
  const unlistedPackage = (parts: string[]) =>
    parts.length >= 3 &&
    CATEGORY_NAME.test(parts[0]) &&
    !NOT_CATEGORIES.has(parts[0]) &&
    PACKAGE_NAME.test(parts[1]) &&
    ((parts.length === 3 && parts[2].endsWith('.ebuild')) || input.existingPackages?.has(`${parts[0]}/${parts[1]}`) === true);
  const unknownCategories = new Set<string>();

  // Per package: its changed files and whether any change left something behind.
  const touched = new Map<string, { files: string[]; onlyRemovals: boolean }>();
  const eclassChanges = new Map<string, string>();
  const repoReasons: string[] = [];
  const ignored: ScopeReason[] = [];

  const visit = (path: string, status: ChangeStatus) => {
    const c = classify(path, isCategory, unlistedPackage);
    switch (c.kind) {
      case 'package': {
        if (c.unknownCategory !== undefined) unknownCategories.add(c.unknownCategory);
        let entry = touched.get(c.atom);
        if (!entry) touched.set(c.atom, (entry = { files: [], onlyRemovals: true }));
        entry.files.push(`${c.file} (${status})`);
        if (status !== 'D') entry.onlyRemovals = false;
        break;
      }
      case 'eclass':
        eclassChanges.set(c.name, eclassChanges.has(c.name) && status !== 'D' ? 'M' : status);
        break;
      case 'repo':
        repoReasons.push(`${path} (${status}): ${c.why}`);
        break;
      case 'ignored':
        ignored.push({ target: path, why: `${c.why}; not scanned` });
        break;
    }
  };
  for (const change of input.changes) {
    if (change.status === 'R' && change.oldPath !== undefined) {
      visit(change.oldPath, 'D');
      visit(change.path, 'A');
    } else {
      visit(change.path, change.status === 'R' ? 'A' : change.status);
    }
  }

  const exists = (atom: string, onlyRemovals: boolean) =>
    input.existingPackages ? input.existingPackages.has(atom) : input.eclassesByPackage.has(atom) || !onlyRemovals;

  const targets = new Set<string>();
  const deleted: string[] = [];
  const reasons: ScopeReason[] = [];
  for (const atom of [...touched.keys()].sort()) {
    const entry = touched.get(atom)!;
    const files = summarize(entry.files);
    const category = atom.slice(0, atom.indexOf('/'));
    const unknown = unknownCategories.has(category)
      ? `; category ${category} is in no profiles/categories of the repository or its masters, scanned anyway`
      : '';
    if (exists(atom, entry.onlyRemovals)) {
      targets.add(atom);
      reasons.push({ target: atom, why: `changed: ${files}${unknown}` });
    } else {
      deleted.push(atom);
      reasons.push({ target: atom, why: `package removed (${files}); nothing left to scan` });
    }
  }

  const eclasses: string[] = [];
  if (eclassChanges.size > 0) {
    const inheritors = new Map<string, string[]>();
    for (const [atom, inherited] of input.eclassesByPackage) {
      for (const name of inherited) {
        if (!eclassChanges.has(name)) continue;
        let list = inheritors.get(name);
        if (!list) inheritors.set(name, (list = []));
        list.push(atom);
      }
    }
    for (const name of [...eclassChanges.keys()].sort()) {
      const status = eclassChanges.get(name)!;
      const users = (inheritors.get(name) ?? []).filter((atom) => !input.existingPackages || input.existingPackages.has(atom)).sort();
      if (status !== 'D') eclasses.push(name);
      const what = status === 'D' ? 'eclass removed' : status === 'A' ? 'eclass added' : 'eclass changed';
      reasons.push({ target: `eclass/${name}.eclass`, why: `${what}; ${users.length} inheriting package${users.length === 1 ? '' : 's'} scanned` });
      for (const atom of users) {
        targets.add(atom);
        reasons.push({ target: atom, why: `inherits ${name}.eclass (${status === 'D' ? 'removed' : 'changed'})` });
      }
    }
  }

  if (repoReasons.length > 0) {
    reasons.push({ target: 'repo', why: `repository-level checks: ${summarize(repoReasons)}` });
  }
  reasons.push(...ignored);

  const sorted = [...targets].sort();
  let mode: Scope['mode'] = 'targets';
  if (sorted.length > input.maxTargets) {
    mode = 'full';
    reasons.push({ target: '*', why: `${sorted.length} package targets exceed maxTargets ${input.maxTargets}; scanning the whole tree` });
  } else if (input.escalateRepoLevel && repoReasons.length > 0) {
    mode = 'full';
    reasons.push({ target: '*', why: 'repository-level change and escalateRepoLevel is set; scanning the whole tree' });
  }
  return { mode, targets: sorted, repoLevel: repoReasons.length > 0, eclasses, deleted, unknownCategories: [...unknownCategories].sort(), reasons };
}

function classify(path: string, isCategory: (name: string) => boolean, unlistedPackage: (parts: string[]) => boolean): Classified {
  const parts = path.split('/');
  const top = parts[0];
  if (top === 'eclass') {
    if (parts.length === 2 && parts[1].endsWith('.eclass') && parts[1].length > 7) return { kind: 'eclass', name: parts[1].slice(0, -7) };
    return { kind: 'ignored', why: 'eclass support file, not an eclass' };
  }
  if (REPO_LEVEL_TOPS.has(top) && parts.length > 1) {
    if (top === 'metadata' && GENERATED_METADATA.has(parts[1])) return { kind: 'ignored', why: 'generated metadata (pmaint regen rewrites it)' };
    return { kind: 'repo', why: `${top}/ changed` };
  }
  if (parts.length >= 2 && isCategory(top)) {
    if (parts.length === 2) {
      if (parts[1] === 'metadata.xml') return { kind: 'repo', why: 'category metadata.xml changed' };
      return { kind: 'ignored', why: 'file in a category folder outside any package' };
    }
    if (PACKAGE_NAME.test(parts[1])) return { kind: 'package', atom: `${top}/${parts[1]}`, file: parts.slice(2).join('/') };
  }
  if (!isCategory(top) && unlistedPackage(parts)) {
    return { kind: 'package', atom: `${top}/${parts[1]}`, file: parts.slice(2).join('/'), unknownCategory: top };
  }
  return { kind: 'ignored', why: 'outside packages, eclasses and repository metadata' };
}

function summarize(items: string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/**
 * Versions the change adds, as `cat/pkg/ver`, sorted: the ebuilds it adds
 * (a rename's new path too). The collector calls a finding of such a version
 * that the base has at another version "carried over" (docs/protocol.md 9).
 */
export function addedVersions(changes: readonly ChangedPath[]): string[] {
  const out = new Set<string>();
  for (const change of changes) {
    if (change.status !== 'A' && change.status !== 'R') continue;
    const parts = change.path.split('/');
    if (parts.length !== 3 || !parts[2].endsWith('.ebuild')) continue;
    const split = splitPackageVersion(parts[2].slice(0, -'.ebuild'.length));
    if (split && split.pn === parts[1]) out.add(`${parts[0]}/${parts[1]}/${split.pvr}`);
  }
  return [...out].sort();
}

/** Gentoo's quoted all-packages glob: a match-everything target (repository scope). */
export const REPO_WIDE_TARGET = '*/*';

export interface ScanInvocation {
  /** `full`: untargeted; `targets`: packages and eclasses; `repo-level`: repository and category checks. */
  label: 'full' | 'targets' | 'repo-level';
  /** Arguments after `pkgcheck scan <common options>`; run with cwd = the repository root. */
  args: string[];
}

export interface ScanArgsOptions {
  /**
   * Whether a repository-relative path exists in the tree being scanned.
   * pkgcheck treats an eclass target as a path and exits 2 on a path the repo
   * lacks, so a baseline scan of the base tree must drop eclasses the PR adds.
   */
  pathExists?: (repoPath: string) => boolean;
}

/**
 * The pkgcheck runs a scope needs: one argument list per `pkgcheck scan`
 * invocation, each run with cwd = the repository root and the same common
 * options (`-R JsonStream -p stable,dev --cache=-git`). JsonStream output of
 * the runs concatenates into one stream.
 *
 * Why more than one run: `-s/--scopes` filters the checks of a whole
 * invocation, so package targets and Gentoo's repository-level form
 * (`REPO_WIDE_TARGET -s repo,cat`, the quoted all-packages glob) cannot share
 * one. That form is a match-everything
 * target (repository scope) limited to repository- and category-scope checks
 * (UnusedLicenses, UnknownCategoryDirs, CatMissingMetadataXml, ...): all the
 * checks a package-targeted scan never runs, at a fraction of a full scan's
 * cost. Package targets are plain `cat/pkg` atoms (pkg and ver scope checks);
 * changed eclasses are passed as `eclass/<name>.eclass` paths, which pkgcheck
 * maps to eclass scope.
 *
 * - `full`: one run with no targets: from the repository root pkgcheck scans
 *   everything, every scope.
 * - `targets`: `[atoms..., eclass paths...]`, plus
 *   `[REPO_WIDE_TARGET, '-s', 'repo,cat']` when `repoLevel`.
 * - nothing to scan: `[]`. Callers must not run pkgcheck then: `pkgcheck scan`
 *   without targets scans the whole tree.
 */
export function scanArgs(scope: Scope, options: ScanArgsOptions = {}): ScanInvocation[] {
  if (scope.mode === 'full') return [{ label: 'full', args: [] }];
  const runs: ScanInvocation[] = [];
  const eclassPaths = scope.eclasses.map((name) => `eclass/${name}.eclass`).filter((p) => !options.pathExists || options.pathExists(p));
  const targets = [...scope.targets, ...eclassPaths];
  if (targets.length > 0) runs.push({ label: 'targets', args: targets });
  if (scope.repoLevel) runs.push({ label: 'repo-level', args: [REPO_WIDE_TARGET, '-s', 'repo,cat'] });
  return runs;
}

/**
 * What the scope needs to read of the tree for these changes: the eclass map
 * of every package only when an eclass changed (its inheritors are scanned);
 * otherwise only whether the touched `cat/pkg` folders hold ebuilds. On
 * ::gentoo (31,000 ebuilds) that is the difference between reading the whole
 * tree and a few folders, for the common pull request that bumps a package.
 */
export function scopeNeeds(changes: readonly ChangedPath[]): { eclassMap: boolean; packages: string[] } {
  const paths = changes.flatMap((change) => (change.oldPath ? [change.path, change.oldPath] : [change.path]));
  const eclassMap = paths.some((file) => file.startsWith('eclass/'));
  const packages = new Set<string>();
  for (const file of paths) {
    const parts = file.split('/');
    if (parts.length >= 3) packages.add(`${parts[0]}/${parts[1]}`);
  }
  return { eclassMap, packages: [...packages].sort() };
}

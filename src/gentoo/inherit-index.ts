/**
 * The inheritance index a worker keeps beside its metadata cache: for one
 * commit of a repository (the stamp), which eclasses each ebuild inherits,
 * transitively, as that commit's regenerated md5-cache says. An eclass change
 * then costs a `git diff` between the stamp and the merged tree plus the
 * changed ebuilds, instead of reading all of ::gentoo's 31,000 ebuilds and
 * cache entries.
 *
 * Why an entry of the index can be trusted for an ebuild of the merged tree
 * that the diff does not name:
 * - The index is written by the worker, into its state folder, only from the
 *   base tree of a job whose base regen passed: the base is the repository's
 *   own commit, never the PR's, and no PR reaches the state folder. Each entry
 *   is checked when it is written, as portage checks a cache entry: `_md5_` is
 *   the md5 of the ebuild and every `_eclasses_` stamp is the md5 of that
 *   eclass in the tree (or its masters); an entry that fails is recorded as
 *   unknown and its ebuild is read at scope time.
 * - An ebuild the diff does not name has, in the merged tree, the same git
 *   blob (the same bytes: git names a blob by its content, and refuses SHA-1
 *   collision attacks it detects) at the same path as in the stamp commit, so
 *   its entry describes exactly its text, as the `_md5_` check does.
 * - An eclass the diff names may now inherit other eclasses: the ebuilds
 *   whose entry lists it get its inherit-line closure in the merged tree on
 *   top (a superset: an extra eclass can only add scan targets).
 * - The masters' eclasses are those of the commits in the stamp: a master at
 *   another commit, or one without a commit (a configured path), gives no
 *   answer and the caller reads the whole tree as before.
 * - Symlinks and submodules in the tree's layout (a category, package folder
 *   or ebuild) give no answer either: the tree walk resolves them, git does not.
 * The metadata cache in the merged tree is never read here, so a PR that edits
 * or adds md5-cache entries changes nothing.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { RawChange } from '../git/diff.ts';
import { eclassInheritsReader, followInherits, type Inheritance } from './changed-paths.ts';
import { inheritedEclasses } from './inherit-lines.ts';
import { parseMd5CacheEntry } from './md5-cache.ts';
import { readTreeFile } from './tree-files.ts';

export const INHERIT_INDEX_FORMAT = 'refci-inherit-index/1';

export interface StampMaster {
  name: string;
  commit: string;
}

/** PF -> the eclasses of its checked cache entry (sorted), or null when it had none that passed. */
export type IndexedVersions = Map<string, string[] | null>;

/**
 * A package of the index as kept: the union of its versions' checked eclasses
 * (what a package none of whose ebuilds changed inherits) and its versions,
 * decoded only for a package the diff touches, so that scoping ::gentoo
 * decodes a few packages and not 31,000 versions.
 */
export interface IndexedPackage {
  /** Space-separated eclass names, sorted. */
  union: string;
  /** `PF=eclass,eclass` (`PF=!` for no checked entry), space-separated. */
  versions: string;
}

export interface InheritIndex {
  /** The commit whose tree and regenerated cache the index describes. */
  commit: string;
  /** The masters the tree was regenerated against, in layout.conf order, at their commits. */
  masters: StampMaster[];
  /** `cat/pkg` -> its versions. */
  packages: Map<string, IndexedPackage>;
}

/** A file of a commit's tree with its git mode. */
export interface TreeFileMode {
  path: string;
  mode: string;
}

const REGULAR = new Set(['100644', '100755']);
// Category, package, PF and eclass names as PMS allows them: none holds a separator of the kept format.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9+_.-]*$/;

/**
 * `cat/pkg/PF.ebuild` as the tree walk of changed-paths.ts counts an ebuild:
 * three parts, a first part that is no dot folder, a name ending in `.ebuild`.
 */
function ebuildParts(file: string): [string, string, string] | undefined {
  const parts = file.split('/');
  if (parts.length !== 3 || parts[0].startsWith('.') || !parts[2].endsWith('.ebuild')) return undefined;
  return [parts[0], parts[1], parts[2].slice(0, -'.ebuild'.length)];
}

/**
 * Why a path of a listing or diff keeps git's view from matching the tree
 * walk's, if it does: a symlink or submodule where a category, package folder
 * or ebuild may be, a folder named like an ebuild, or a name that is not UTF-8
 * (git's bytes would not match the folder names).
 */
function layoutProblem(file: string, modes: string[]): string | undefined {
  if (file.includes('\uFFFD')) return `${JSON.stringify(file)} is not UTF-8`;
  const parts = file.split('/');
  const placed = parts.length <= 2 || (parts.length === 3 && parts[2].endsWith('.ebuild'));
  if (placed && modes.some((mode) => mode !== '000000' && !REGULAR.has(mode))) return `${file} is a symlink or submodule`;
  if (parts.length >= 4 && !parts[0].startsWith('.') && parts[2].endsWith('.ebuild')) return `${file} is inside a folder named like an ebuild`;
  return undefined;
}

function sameMasters(a: readonly StampMaster[], b: readonly StampMaster[]): boolean {
  return a.length === b.length && a.every((m, i) => m.name === b[i].name && m.commit === b[i].commit);
}

/** The masters as a stamp names them; undefined when one has no commit (a configured path can change under it). */
export function stampMasters(masters: ReadonlyArray<{ name: string; commit?: string }>): StampMaster[] | undefined {
  const out: StampMaster[] = [];
  for (const m of masters) {
    if (!m.commit) return undefined;
    out.push({ name: m.name, commit: m.commit });
  }
  return out;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** The md5 of each eclass as portage resolves it: the tree's own eclass/ first, then the masters, the last named first. */
function eclassMd5Reader(tree: string, masterPaths: readonly string[]): (name: string) => Promise<string | undefined> {
  const memo = new Map<string, string | undefined>();
  const roots = [tree, ...[...masterPaths].reverse()];
  return async (name) => {
    if (memo.has(name)) return memo.get(name);
    let found: string | undefined;
    for (const root of roots) {
      const text = await readTreeFile(root, path.join(root, 'eclass', `${name}.eclass`));
      if (text !== undefined) {
        found = md5(text);
        break;
      }
    }
    memo.set(name, found);
    return found;
  };
}

/**
 * The checked eclasses of `cat/pkg/PF.ebuild` of a regenerated tree, or null
 * when its entry is missing, unreadable or stale (`_md5_` or an eclass stamp
 * that does not match, as portage decides), or names an eclass the kept
 * format cannot hold.
 */
function entryReader(tree: string, masterPaths: readonly string[]): (category: string, pkg: string, pf: string) => Promise<string[] | null> {
  const eclassMd5 = eclassMd5Reader(tree, masterPaths);
  return async (category, pkg, pf) => {
    const text = await readTreeFile(tree, path.join(tree, category, pkg, `${pf}.ebuild`));
    const cached = await readTreeFile(tree, path.join(tree, 'metadata', 'md5-cache', category, pf));
    if (text === undefined || cached === undefined) return null;
    let entry;
    try {
      entry = parseMd5CacheEntry(cached);
    } catch {
      return null;
    }
    if (entry.md5 !== md5(text)) return null;
    for (const stamp of entry.eclasses) {
      if (!NAME.test(stamp.name) || (await eclassMd5(stamp.name)) !== stamp.md5) return null;
    }
    return [...new Set(entry.eclasses.map((stamp) => stamp.name))].sort();
  };
}

/** Builds the kept form of packages from their decoded versions. */
function packed(versions: Map<string, IndexedVersions>): Map<string, IndexedPackage> {
  const out = new Map<string, IndexedPackage>();
  for (const [atom, pfs] of versions) {
    const union = new Set<string>();
    const parts: string[] = [];
    for (const [pf, list] of [...pfs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const name of list ?? []) union.add(name);
      parts.push(`${pf}=${list === null ? '!' : list.join(',')}`);
    }
    out.set(atom, { union: [...union].sort().join(' '), versions: parts.join(' ') });
  }
  return out;
}

/** The versions of a kept package. */
export function versionsOf(pkg: IndexedPackage): IndexedVersions {
  const out: IndexedVersions = new Map();
  for (const part of pkg.versions.split(' ')) {
    const eq = part.indexOf('=');
    const list = part.slice(eq + 1);
    out.set(part.slice(0, eq), list === '!' ? null : list === '' ? [] : list.split(','));
  }
  return out;
}

function addVersion(versions: Map<string, IndexedVersions>, atom: string, pf: string, list: string[] | null): void {
  let pfs = versions.get(atom);
  if (!pfs) versions.set(atom, (pfs = new Map()));
  pfs.set(pf, list);
}

/**
 * The index of a regenerated tree (`tree`, a copy of commit `commit`, listed
 * by `files`), its masters at `masterPaths`. Undefined when the listing has a
 * symlink or submodule where the scope's tree walk would resolve one, or a
 * name PMS does not allow.
 */
export async function buildInheritIndex(input: {
  tree: string;
  commit: string;
  files: readonly TreeFileMode[];
  masters: readonly StampMaster[];
  masterPaths: readonly string[];
}): Promise<InheritIndex | undefined> {
  const entry = entryReader(input.tree, input.masterPaths);
  const versions = new Map<string, IndexedVersions>();
  for (const file of input.files) {
    if (layoutProblem(file.path, [file.mode])) return undefined;
    const parts = ebuildParts(file.path);
    if (!parts) continue;
    if (!parts.every((name) => NAME.test(name))) return undefined;
    const [category, pkg, pf] = parts;
    addVersion(versions, `${category}/${pkg}`, pf, await entry(category, pkg, pf));
  }
  return { commit: input.commit, masters: [...input.masters], packages: packed(versions) };
}

/**
 * The index of `input.commit` from the index of an earlier commit and the
 * diff between the two: entries of changed ebuilds, of ebuilds whose entry
 * lists a changed eclass and of ebuilds that had none are read again from the
 * regenerated tree; the rest are kept (same blob, same eclasses). Undefined
 * when only a full build can answer: other masters, or a diff with a symlink.
 */
export async function updateInheritIndex(
  previous: InheritIndex,
  changes: readonly RawChange[],
  input: { tree: string; commit: string; masters: readonly StampMaster[]; masterPaths: readonly string[] },
): Promise<InheritIndex | undefined> {
  if (!sameMasters(previous.masters, input.masters)) return undefined;
  const changedEclasses = new Set<string>();
  const changedEbuilds = new Map<string, boolean>();
  for (const change of changes) {
    if (layoutProblem(change.path, [change.oldMode, change.newMode])) return undefined;
    const eclass = eclassName(change.path);
    if (eclass !== undefined) changedEclasses.add(eclass);
    const parts = ebuildParts(change.path);
    if (!parts) continue;
    if (change.status !== 'D' && !parts.every((name) => NAME.test(name))) return undefined;
    changedEbuilds.set(parts.join('/'), change.status !== 'D');
  }
  const entry = entryReader(input.tree, input.masterPaths);
  const versions = new Map<string, IndexedVersions>();
  for (const [atom, pkg] of previous.packages) {
    const [category, name] = atom.split('/');
    const touched = pkg.union.split(' ').some((eclass) => changedEclasses.has(eclass));
    for (const [pf, list] of versionsOf(pkg)) {
      if (changedEbuilds.has(`${atom}/${pf}`)) continue;
      const again = list === null || (touched && list.some((eclass) => changedEclasses.has(eclass)));
      addVersion(versions, atom, pf, again ? await entry(category, name, pf) : list);
    }
  }
  for (const [file, present] of changedEbuilds) {
    if (!present) continue;
    const [category, name, pf] = file.split('/');
    addVersion(versions, `${category}/${name}`, pf, await entry(category, name, pf));
  }
  return { commit: input.commit, masters: [...input.masters], packages: packed(versions) };
}

function eclassName(file: string): string | undefined {
  const parts = file.split('/');
  return parts.length === 2 && parts[0] === 'eclass' && parts[1].endsWith('.eclass') && parts[1].length > 7 ? parts[1].slice(0, -7) : undefined;
}

export type IndexAnswer = { inheritance: Inheritance } | { fallback: string };

/**
 * The inheritance of the merged tree `worktree` (the same map readInheritance
 * gives, see there) from the index and `changes`, the diff between the index's
 * commit and the merged commit. Indexed ebuilds the diff does not name come
 * from the index; changed ones, and those with no checked entry, from their
 * inherit lines. A `fallback` answer says why the whole tree must be read.
 */
export async function inheritanceFromIndex(
  worktree: string,
  index: InheritIndex,
  changes: readonly RawChange[],
  masters: ReadonlyArray<{ name: string; commit?: string }>,
): Promise<IndexAnswer> {
  const now = stampMasters(masters);
  if (!now) return { fallback: 'a master has no commit (a configured path)' };
  if (!sameMasters(index.masters, now)) return { fallback: `the masters are not at the commits of the index (${index.commit})` };
  const changedEclasses = new Set<string>();
  // `cat/pkg` -> PF -> whether the merged tree has it.
  const changedEbuilds = new Map<string, Map<string, boolean>>();
  for (const change of changes) {
    const problem = layoutProblem(change.path, [change.oldMode, change.newMode]);
    if (problem) return { fallback: problem };
    const eclass = eclassName(change.path);
    if (eclass !== undefined) changedEclasses.add(eclass);
    const parts = ebuildParts(change.path);
    if (!parts) continue;
    const atom = `${parts[0]}/${parts[1]}`;
    let versions = changedEbuilds.get(atom);
    if (!versions) changedEbuilds.set(atom, (versions = new Map()));
    versions.set(parts[2], change.status !== 'D');
  }

  const eclassInherits = eclassInheritsReader(worktree);
  // What an eclass changed since the index's commit inherits now, transitively:
  // added wherever an entry lists it (it may inherit more than when the entry was made).
  const closures = new Map<string, string[]>();
  const closureOf = async (name: string) => {
    let names = closures.get(name);
    if (!names) {
      const seen = new Set<string>();
      await followInherits([name], eclassInherits, seen);
      closures.set(name, (names = [...seen]));
    }
    return names;
  };
  const addEntry = async (seen: Set<string>, list: Iterable<string>) => {
    for (const name of list) {
      seen.add(name);
      if (changedEclasses.has(name)) for (const more of await closureOf(name)) seen.add(more);
    }
  };

  const map = new Map<string, string[]>();
  const fromLines: string[] = [];
  let fromCache = 0;
  const atoms = [...new Set([...index.packages.keys(), ...changedEbuilds.keys()])].sort();
  for (const atom of atoms) {
    const pkg = index.packages.get(atom);
    const changed = changedEbuilds.get(atom);
    // The common case: no version changed and every one had a checked entry.
    if (pkg && !changed && !pkg.versions.includes('=!')) {
      const union = pkg.union === '' ? [] : pkg.union.split(' ');
      fromCache += pkg.versions.split(' ').length;
      if (!union.some((name) => changedEclasses.has(name))) {
        map.set(atom, union);
        continue;
      }
      const seen = new Set<string>();
      await addEntry(seen, union);
      map.set(atom, [...seen].sort());
      continue;
    }
    const [category] = atom.split('/');
    const indexed = pkg ? versionsOf(pkg) : new Map<string, string[] | null>();
    const versions = new Set([...indexed.keys()].filter((pf) => !changed?.has(pf)));
    for (const [pf, present] of changed ?? []) if (present) versions.add(pf);
    if (versions.size === 0) continue;
    const seen = new Set<string>();
    const queue: string[] = [];
    for (const pf of [...versions].sort()) {
      const list = changed?.has(pf) ? null : indexed.get(pf);
      if (list) {
        fromCache += 1;
        await addEntry(seen, list);
        continue;
      }
      const text = await readTreeFile(worktree, path.join(worktree, atom, `${pf}.ebuild`));
      if (text === undefined) continue;
      fromLines.push(`${category}/${pf}`);
      queue.push(...inheritedEclasses(text));
    }
    await followInherits(queue, eclassInherits, seen);
    map.set(atom, [...seen].sort());
  }
  return { inheritance: { map, fromCache, fromLines } };
}

/**
 * The kept file: a first line naming the format, a second with the commit,
 * the masters and the md5 of the rest (a file cut short or damaged is refused
 * as a whole), then one line per package: `cat/pkg TAB union TAB versions`.
 */
export function formatInheritIndex(index: InheritIndex): string {
  const body = [...index.packages].map(([atom, pkg]) => `${atom}\t${pkg.union}\t${pkg.versions}\n`).join('');
  return `${INHERIT_INDEX_FORMAT}\n${JSON.stringify({ commit: index.commit, masters: index.masters, md5: md5(body) })}\n${body}`;
}

/** The index in a kept file, or why it cannot be used. */
export function parseInheritIndex(text: string): InheritIndex | { corrupt: string } {
  const first = text.indexOf('\n');
  const second = text.indexOf('\n', first + 1);
  if (first < 0 || second < 0 || text.slice(0, first) !== INHERIT_INDEX_FORMAT) return { corrupt: `not ${INHERIT_INDEX_FORMAT}` };
  let head: { commit?: unknown; masters?: unknown; md5?: unknown };
  try {
    head = JSON.parse(text.slice(first + 1, second));
  } catch {
    return { corrupt: 'no header' };
  }
  if (typeof head?.commit !== 'string' || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head.commit)) return { corrupt: 'no commit' };
  const masters = head.masters as StampMaster[];
  if (!Array.isArray(masters) || !masters.every((m) => typeof m?.name === 'string' && typeof m?.commit === 'string')) return { corrupt: 'bad masters' };
  const body = text.slice(second + 1);
  if (head.md5 !== md5(body)) return { corrupt: 'its checksum does not match (cut short or damaged)' };
  const packages = new Map<string, IndexedPackage>();
  for (const line of body.split('\n')) {
    if (line === '') continue;
    const [atom, union, versions, extra] = line.split('\t');
    if (versions === undefined || extra !== undefined || versions === '') return { corrupt: `bad line ${JSON.stringify(line.slice(0, 80))}` };
    packages.set(atom, { union, versions });
  }
  return { commit: head.commit, masters, packages };
}

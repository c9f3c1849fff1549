/**
 * The I/O edge of scoping: which paths a PR changes (git) and what the merged
 * tree's metadata cache says (files). The decisions are in scope.ts.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { diffNameStatus } from '../git/diff.ts';
import { inheritedEclasses } from './inherit-lines.ts';
import { isTreeDir, isTreeEntryDir, listTreeDir, listTreeEntries, readTreeEntry, readTreeFile, type TreeEntry } from './tree-files.ts';
import { layoutMasters, parseLayoutConf } from './layout-conf.ts';
import { parseUpdateMoves } from './package-moves.ts';
import type { PackageMove } from '../qa/moves.ts';
import { eclassMapFromEntries, parseMd5CacheEntry, type CacheFile } from './md5-cache.ts';
import type { ChangedPath, ChangeStatus } from './scope.ts';

/**
 * Paths that differ between two commits, as `git diff --name-status -z
 * --no-renames from to` reports them.
 *
 * `--no-renames`: a rename comes back as a deletion plus an addition, which is
 * what scoping needs (the old package is gone, the new one is scanned), and the
 * answer does not depend on rename-similarity heuristics or the user's
 * `diff.renames` setting. `-z`: paths come raw, never quoted or escaped.
 *
 * Pass the commit the PR is merged onto as `from` and the merge result as `to`:
 * the difference is then exactly what the PR does to that tree.
 */
export async function changedPaths(repoDir: string, from: string, to: string): Promise<ChangedPath[]> {
  return parseNameStatusZ(await diffNameStatus(repoDir, from, to));
}

/**
 * Parses `git diff --name-status -z` output: `STATUS NUL path NUL`, with two
 * paths after R and C (`R100 NUL old NUL new NUL`). A type change (T) counts as
 * a modification; copies (C) as additions.
 */
export function parseNameStatusZ(output: string): ChangedPath[] {
  const fields = output.split('\0');
  if (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  const out: ChangedPath[] = [];
  let i = 0;
  while (i < fields.length) {
    const code = fields[i++];
    const letter = code.charAt(0);
    if (letter === 'R' || letter === 'C') {
      const oldPath = fields[i++];
      const newPath = fields[i++];
      if (oldPath === undefined || newPath === undefined) throw malformed(code);
      out.push(letter === 'R' ? { status: 'R', path: newPath, oldPath } : { status: 'A', path: newPath });
      continue;
    }
    const file = fields[i++];
    if (file === undefined) throw malformed(code);
    const status: ChangeStatus | undefined = letter === 'A' ? 'A' : letter === 'M' ? 'M' : letter === 'D' ? 'D' : letter === 'T' ? 'T' : undefined;
    if (!status) {
      throw new RefciError('git', `git diff reported status ${JSON.stringify(code)} for ${file}, which refci does not expect between two commits`);
    }
    out.push({ status, path: file });
  }
  return out;
}

function malformed(code: string): RefciError {
  return new RefciError('git', `git diff --name-status -z output ends inside an entry (status ${JSON.stringify(code)})`);
}

/**
 * Reads `metadata/md5-cache` of a worktree into `cat/pkg` -> inherited eclasses
 * (see eclassMapFromEntries). A missing cache folder gives an empty map: run
 * `pmaint regen` first.
 */
export async function readEclassMap(worktree: string): Promise<Map<string, string[]>> {
  const root = path.join(worktree, 'metadata', 'md5-cache');
  const files: CacheFile[] = [];
  for (const category of await listTreeDir(worktree, root)) {
    const dir = path.join(root, category);
    if (!(await isTreeDir(worktree, dir))) continue;
    for (const pf of await listTreeDir(worktree, dir)) {
      const file = path.join(dir, pf);
      const text = await readTreeFile(worktree, file);
      if (text === undefined) continue;
      files.push({ cpv: `${category}/${pf}`, entry: parseMd5CacheEntry(text, path.relative(worktree, file)) });
    }
  }
  return eclassMapFromEntries(files);
}

/** The eclasses an eclass of the worktree inherits directly, each eclass read once. */
export function eclassInheritsReader(worktree: string): (name: string) => Promise<string[]> {
  const cache = new Map<string, string[]>();
  return async (name) => {
    let direct = cache.get(name);
    if (!direct) {
      direct = await inheritsOf(worktree, path.join(worktree, 'eclass', `${name}.eclass`));
      cache.set(name, direct);
    }
    return direct;
  };
}

/**
 * The same map as readEclassMap, read from the ebuilds' and eclasses' own
 * `inherit` lines instead of the metadata cache: usable before `pmaint regen`
 * has run. It follows eclass-to-eclass inherits; what it cannot see is an
 * inherit whose eclass name comes from a variable, which Gentoo policy does
 * not allow anyway. Prefer readEclassMap once the cache is regenerated.
 */
export async function readInheritMap(worktree: string, categories?: ReadonlySet<string>): Promise<Map<string, string[]>> {
  const eclassInherits = eclassInheritsReader(worktree);
  const out = new Map<string, string[]>();
  for (const atom of [...(await listPackages(worktree, categories))].sort()) {
    const dir = path.join(worktree, atom);
    const seen = new Set<string>();
    const queue: string[] = [];
    for (const file of (await listTreeDir(worktree, dir)).filter((name) => name.endsWith('.ebuild'))) queue.push(...(await inheritsOf(worktree, path.join(dir, file))));
    while (queue.length > 0) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      queue.push(...(await eclassInherits(name)));
    }
    out.set(atom, [...seen].sort());
  }
  return out;
}

/** Eclass names on the `inherit` commands of one ebuild or eclass (none if the file is missing). */
async function inheritsOf(worktree: string, file: string): Promise<string[]> {
  const text = await readTreeFile(worktree, file);
  return text === undefined ? [] : inheritedEclasses(text);
}

export interface Inheritance {
  /** `cat/pkg` -> eclasses any of its versions inherits, transitively (sorted); every package with an ebuild is a key. */
  map: Map<string, string[]>;
  /** Ebuilds described by a current md5-cache entry. */
  fromCache: number;
  /** Ebuilds read from their inherit lines: no cache entry, or one older than the ebuild. */
  fromLines: string[];
}

/**
 * Which eclasses each package inherits, from the metadata cache where it is
 * current and from the inherit lines otherwise. An entry is current when its
 * `_md5_` is the md5 of the ebuild as it is now: the worktrees keep the cache
 * of the previous job's regen (ignored files survive the reset), so an ebuild
 * the PR or a newer base changed has a stale entry or none. `_eclasses_` is
 * transitive and exact (what bash sourced, whatever the conditionals);
 * the inherit-line reader is the fallback.
 *
 * `untrusted` (`cat/PF`): versions whose cache entry is never used. Pass
 * those whose ebuild or cache entry the PR changes: a tree that commits its
 * own cache is the PR's to edit, and an entry the PR writes can carry the
 * right `_md5_` with `_eclasses_` that leave an inheritor out.
 */
export async function readInheritance(worktree: string, untrusted: ReadonlySet<string> = new Set()): Promise<Inheritance> {
  const eclassInherits = eclassInheritsReader(worktree);
  const map = new Map<string, string[]>();
  const fromLines: string[] = [];
  let fromCache = 0;
  // Each md5-cache category folder is listed once; a cache entry is then read without resolving its path again.
  const cacheFolders = new Map<string, Map<string, TreeEntry>>();
  const cacheFolder = async (category: string) => {
    let entries = cacheFolders.get(category);
    if (!entries) {
      entries = new Map((await listTreeEntries(worktree, path.join(worktree, 'metadata', 'md5-cache', category))).map((entry) => [entry.name, entry]));
      cacheFolders.set(category, entries);
    }
    return entries;
  };
  const packages = await packageFolders(worktree);
  for (const atom of [...packages.keys()].sort()) {
    const [category] = atom.split('/');
    const seen = new Set<string>();
    const queue: string[] = [];
    for (const ebuild of packages.get(atom)!) {
      const text = await readTreeEntry(worktree, ebuild);
      if (text === undefined) continue;
      const pf = ebuild.name.slice(0, -'.ebuild'.length);
      const cacheEntry = untrusted.has(`${category}/${pf}`) ? undefined : (await cacheFolder(category)).get(pf);
      const cached = cacheEntry === undefined ? undefined : await readTreeEntry(worktree, cacheEntry);
      const entry = cached === undefined ? undefined : parseMd5CacheEntry(cached, path.join('metadata', 'md5-cache', category, pf));
      if (entry && entry.md5 === createHash('md5').update(text).digest('hex')) {
        fromCache += 1;
        for (const eclass of entry.eclasses) seen.add(eclass.name);
        continue;
      }
      fromLines.push(`${category}/${pf}`);
      queue.push(...inheritedEclasses(text));
    }
    await followInherits(queue, eclassInherits, seen);
    map.set(atom, [...seen].sort());
  }
  return { map, fromCache, fromLines };
}

/** Adds to `seen` the eclasses of `queue` and every eclass they inherit, by their inherit lines. */
export async function followInherits(queue: string[], eclassInherits: (name: string) => Promise<string[]>, seen: Set<string>): Promise<void> {
  const followed = new Set<string>();
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (followed.has(name)) continue;
    followed.add(name);
    seen.add(name);
    queue.push(...(await eclassInherits(name)));
  }
}

/**
 * The versions (`cat/PF`) whose cache entries a change may have forged: the
 * ebuilds and the md5-cache entries it adds, modifies or removes.
 */
export function versionsTouched(changes: readonly ChangedPath[]): Set<string> {
  const out = new Set<string>();
  for (const change of changes) {
    for (const file of change.oldPath === undefined ? [change.path] : [change.path, change.oldPath]) {
      const parts = file.split('/');
      if (parts.length === 4 && parts[0] === 'metadata' && parts[1] === 'md5-cache') out.add(`${parts[2]}/${parts[3]}`);
      else if (parts.length === 3 && parts[2].endsWith('.ebuild')) out.add(`${parts[0]}/${parts[2].slice(0, -'.ebuild'.length)}`);
    }
  }
  return out;
}

/** Every `move` of the worktree's profiles/updates files (none without the folder). */
export async function readUpdateMoves(worktree: string): Promise<PackageMove[]> {
  const dir = path.join(worktree, 'profiles', 'updates');
  const moves: PackageMove[] = [];
  for (const name of await listTreeDir(worktree, dir)) moves.push(...parseUpdateMoves((await readTreeFile(worktree, path.join(dir, name))) ?? ''));
  return moves;
}

/**
 * A tree's repository name as pkgcore reads it: profiles/repo_name, else
 * layout.conf's repo-name; undefined without either.
 */
export async function readRepoName(worktree: string): Promise<string | undefined> {
  const own = ((await readTreeFile(worktree, path.join(worktree, 'profiles', 'repo_name'))) ?? '').trim();
  if (own) return own;
  const layout = parseLayoutConf((await readTreeFile(worktree, path.join(worktree, 'metadata', 'layout.conf'))) ?? '');
  return layout['repo-name']?.trim() || undefined;
}

/** The masters `metadata/layout.conf` of a worktree names (none without the file). */
export async function readLayoutMasters(worktree: string): Promise<string[]> {
  const text = (await readTreeFile(worktree, path.join(worktree, 'metadata', 'layout.conf'))) ?? '';
  return layoutMasters(text, ((await readTreeFile(worktree, path.join(worktree, 'profiles', 'repo_name'))) ?? '').trim() || undefined);
}

/**
 * The categories pkgcore knows for a repository: the union of its own
 * profiles/categories and each master's. Undefined when none of them has the
 * file (then scoping takes any valid folder name). A master path without
 * profiles/categories is a configuration error: its packages would be
 * "outside packages" and silently go unscanned.
 */
export async function readCategoriesWithMasters(worktree: string, masters: ReadonlyArray<{ name: string; path: string }>): Promise<Set<string> | undefined> {
  const own = await readCategories(worktree);
  if (masters.length === 0) return own;
  const union = new Set(own ?? []);
  for (const master of masters) {
    const listed = await readCategories(master.path);
    if (!listed) {
      throw new RefciError(
        'invalid-config',
        `master ${master.name} at ${master.path} has no profiles/categories`,
        `check out the ${master.name} repository there, or correct the pipeline's masters.${master.name}.path`,
      );
    }
    for (const name of listed) union.add(name);
  }
  return union;
}

/** Categories listed in `profiles/categories` (comments and blanks skipped); undefined without the file. */
export async function readCategories(worktree: string): Promise<Set<string> | undefined> {
  const text = await readTreeFile(worktree, path.join(worktree, 'profiles', 'categories'));
  if (text === undefined) return undefined;
  const names = text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
  return new Set(names);
}

/** Those of `atoms` (`cat/pkg`) whose folder in the worktree holds at least one ebuild. */
export async function packagesAmong(worktree: string, atoms: Iterable<string>): Promise<Set<string>> {
  const out = new Set<string>();
  for (const atom of atoms) {
    if ((await listTreeDir(worktree, path.join(worktree, atom))).some((name) => name.endsWith('.ebuild'))) out.add(atom);
  }
  return out;
}

/** `cat/pkg` folders holding at least one ebuild: the packages present in a worktree. */
export async function listPackages(worktree: string, categories?: ReadonlySet<string>): Promise<Set<string>> {
  return new Set((await packageFolders(worktree, categories)).keys());
}

/**
 * `cat/pkg` -> its `*.ebuild` entries, for every package folder holding one.
 * One readdir per folder with the entries' kinds: a plain folder of a folder
 * already inside the tree is inside too, so only symlinks (and categories
 * named by profiles/categories) are resolved; what a symlink leads outside
 * the tree is absent, as everywhere in tree-files.ts.
 */
async function packageFolders(worktree: string, categories?: ReadonlySet<string>): Promise<Map<string, TreeEntry[]>> {
  const out = new Map<string, TreeEntry[]>();
  const cats: Array<{ name: string; path: string; trusted: boolean }> = [];
  if (categories) {
    for (const name of categories) {
      const dir = path.join(worktree, name);
      if (await isTreeDir(worktree, dir)) cats.push({ name, path: dir, trusted: false });
    }
  } else {
    for (const entry of await listTreeEntries(worktree, worktree)) {
      if (entry.name.startsWith('.') || !(await isTreeEntryDir(worktree, entry))) continue;
      cats.push({ name: entry.name, path: entry.path, trusted: entry.kind === 'dir' });
    }
  }
  for (const category of cats) {
    for (const pkg of await listTreeEntries(worktree, category.path, category.trusted)) {
      // A file or socket holds no ebuilds; a symlink is resolved (and checked) by the listing itself.
      if (pkg.kind === 'file' || pkg.kind === 'other') continue;
      const ebuilds = (await listTreeEntries(worktree, pkg.path, pkg.kind === 'dir')).filter((entry) => entry.name.endsWith('.ebuild'));
      if (ebuilds.length > 0) out.set(`${category.name}/${pkg.name}`, ebuilds);
    }
  }
  return out;
}

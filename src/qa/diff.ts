/**
 * The per-finding diff of two scans: new (in head, not in base), fixed (in
 * base, not in head), pre-existing (in both). Findings are matched by key
 * (key.ts) as multisets: a key twice in head and once in base is one
 * pre-existing and one new finding. Unlike Gentoo CI's per-package judgement,
 * a new error in an already broken package is new.
 */
import { attributesText } from './attributes-text.ts';
import { classCounts, GENTOO_KEYWORD_CLASSES, keywordClass, type KeywordClassMap } from './classes.ts';
import { isExcluded, type Excludes } from './excludes.ts';
import { coarseKey, findingKey } from './key.ts';
import type { Finding, Level, Location, PkgcheckFormat, Scope } from './types.ts';

export interface DiffOptions {
  /** Keyword classes; default Gentoo CI's (GENTOO_KEYWORD_CLASSES). A given map replaces it whole. */
  classes?: KeywordClassMap;
  excludes?: Excludes;
  /** Count class `warn` as well as `err`. */
  countWarnings?: boolean;
  /** Let carried-over findings count like new ones (gentoo.countCarriedOver; default false). */
  countCarriedOver?: boolean;
  /**
   * Versions the PR adds, as `cat/pkg/ver` (the ebuilds the change adds).
   * Without it a version counts as new when the base has no finding at it.
   */
  newVersions?: ReadonlySet<string>;
}

export type FindingStatus = 'new' | 'fixed' | 'pre-existing' | 'carried-over';

export interface DiffEntry {
  status: FindingStatus;
  keyword: string;
  /** Keyword class ("err", "warn", "staging", "verbose", "" = none). Excluded findings keep their class. */
  class: string;
  level?: Level;
  scope: Scope;
  location: Location;
  /** pkgcheck's description; for JsonStream findings the attributes as text. */
  message: string;
  /** JsonStream findings only. */
  attributes?: Record<string, unknown>;
  key: string;
  excluded: boolean;
  /** Whether it counts against the pull request: class err (or warn with countWarnings) and not excluded. */
  counts: boolean;
  format: PkgcheckFormat;
  /** Line in the input it was read from (head for new, carried-over and pre-existing, base for fixed). */
  line: number;
  /** Carried-over findings: the base version that has the same finding. */
  carriedFrom?: string;
}

export interface QaDiff {
  new: DiffEntry[];
  fixed: DiffEntry[];
  preExisting: DiffEntry[];
  /**
   * Findings of a version the PR adds that the base has, with the same key
   * but for the version, at a version the PR removes or keeps: a bump copies
   * the old ebuild and its findings. Counted only with countCarriedOver.
   */
  carriedOver: DiffEntry[];
  /** Things a reader should know about how the matching went. */
  warnings: string[];
}

function entry(f: Finding, status: FindingStatus, key: string, options: DiffOptions): DiffEntry {
  const cls = keywordClass(f, options.classes ?? GENTOO_KEYWORD_CLASSES);
  const excluded = isExcluded(f, options.excludes);
  const e: DiffEntry = {
    status,
    keyword: f.keyword,
    class: cls,
    scope: f.scope,
    location: f.location,
    message: f.message ?? f.description ?? attributesText(f.attributes),
    key,
    excluded,
    counts: !excluded && classCounts(cls, options.countWarnings ?? false),
    format: f.format,
    line: f.line,
  };
  if (f.level !== undefined) e.level = f.level;
  if (f.attributes !== undefined) e.attributes = f.attributes;
  return e;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortKey(e: DiffEntry): string {
  const l = e.location;
  const loc = l.category === undefined ? `\uffff${l.eclass ?? l.profile ?? l.commit ?? ''}` : `${l.category}\u0000${l.package ?? ''}\u0000${l.version ?? ''}`;
  return `${loc}\u0001${e.keyword}\u0001${e.message}`;
}

/** Stable order: category, package, version, then repository-level last; keyword; message; input line. */
export function compareEntries(a: DiffEntry, b: DiffEntry): number {
  return cmp(sortKey(a), sortKey(b)) || a.line - b.line;
}

function sortEntries(entries: DiffEntry[]): void {
  const keyed = entries.map((e) => [sortKey(e), e] as const);
  keyed.sort((a, b) => cmp(a[0], b[0]) || a[1].line - b[1].line);
  keyed.forEach(([, e], i) => {
    entries[i] = e;
  });
}

const kind = (f: Finding): 'attrs' | 'msg' => (f.message !== undefined ? 'msg' : 'attrs');

export function diffFindings(base: readonly Finding[], head: readonly Finding[], options: DiffOptions = {}): QaDiff {
  const group = (list: readonly Finding[]): Map<string, Finding[]> => {
    const m = new Map<string, Finding[]>();
    for (const f of list) {
      const k = findingKey(f);
      const bucket = m.get(k);
      if (bucket) bucket.push(f);
      else m.set(k, [f]);
    }
    return m;
  };
  const baseByKey = group(base);
  const headByKey = group(head);
  const out: QaDiff = { new: [], fixed: [], preExisting: [], carriedOver: [], warnings: [] };
  const unmatchedBase: Array<[string, Finding]> = [];
  const unmatchedHead: Array<[string, Finding]> = [];

  for (const [k, hs] of headByKey) {
    const bs = baseByKey.get(k) ?? [];
    const shared = Math.min(bs.length, hs.length);
    hs.slice(0, shared).forEach((f) => out.preExisting.push(entry(f, 'pre-existing', k, options)));
    hs.slice(shared).forEach((f) => unmatchedHead.push([k, f]));
  }
  for (const [k, bs] of baseByKey) {
    const hs = headByKey.get(k) ?? [];
    bs.slice(Math.min(bs.length, hs.length)).forEach((f) => unmatchedBase.push([k, f]));
  }

  // Base and head written by different reporters: one side has attributes, the
  // other messages, so exact keys cannot meet. Pair what is left by keyword and
  // category/package/version, only across the two kinds.
  const baseKinds = new Set(base.map(kind));
  const headKinds = new Set(head.map(kind));
  const mixed = [...baseKinds].some((k) => [...headKinds].some((h) => h !== k));
  if (mixed && unmatchedBase.length > 0 && unmatchedHead.length > 0) {
    out.warnings.push(
      'base and head come from different pkgcheck reporters (one with attributes, one with messages): ' +
        'findings left unmatched were paired by keyword and category/package/version only',
    );
    const pool = new Map<string, Array<[string, Finding]>>();
    for (const item of unmatchedBase) {
      const ck = `${kind(item[1])} ${coarseKey(item[1])}`;
      const bucket = pool.get(ck);
      if (bucket) bucket.push(item);
      else pool.set(ck, [item]);
    }
    const stillHead: Array<[string, Finding]> = [];
    for (const item of unmatchedHead) {
      const other = kind(item[1]) === 'msg' ? 'attrs' : 'msg';
      const bucket = pool.get(`${other} ${coarseKey(item[1])}`);
      if (bucket && bucket.length > 0) {
        bucket.shift();
        out.preExisting.push(entry(item[1], 'pre-existing', item[0], options));
      } else stillHead.push(item);
    }
    unmatchedHead.length = 0;
    unmatchedHead.push(...stillHead);
    unmatchedBase.length = 0;
    for (const bucket of pool.values()) unmatchedBase.push(...bucket);
  }

  carryOver(base, unmatchedHead, unmatchedBase, options, out);
  unmatchedHead.forEach(([k, f]) => out.new.push(entry(f, 'new', k, options)));
  unmatchedBase.forEach(([k, f]) => out.fixed.push(entry(f, 'fixed', k, options)));
  sortEntries(out.new);
  sortEntries(out.carriedOver);
  sortEntries(out.fixed);
  sortEntries(out.preExisting);
  return out;
}

/** The key a version finding would have at package scope: the same finding at any version of the package. */
function versionlessKey(f: Finding): string {
  return findingKey({ ...f, scope: 'package', location: { category: f.location.category, package: f.location.package } });
}

const versionOf = (f: Finding): string => `${f.location.category}/${f.location.package}/${f.location.version}`;

/**
 * Moves findings of added versions that the base has at another version from
 * `unmatchedHead` to `out.carriedOver`. A base finding of a version the PR
 * removes (unmatched, so it would be "fixed") is taken first and is then no
 * longer fixed: it moved to the new version. Otherwise one at a kept version
 * (pre-existing there) is named, without being taken.
 */
function carryOver(
  base: readonly Finding[],
  unmatchedHead: Array<[string, Finding]>,
  unmatchedBase: Array<[string, Finding]>,
  options: DiffOptions,
  out: QaDiff,
): void {
  const isVersion = (f: Finding) => f.scope === 'version' && f.location.version !== undefined;
  const baseVersions = new Set(base.filter(isVersion).map(versionOf));
  const isAdded = (f: Finding) => (options.newVersions ? options.newVersions.has(versionOf(f)) : !baseVersions.has(versionOf(f)));
  const removable = new Map<string, Array<[string, Finding]>>();
  for (const item of unmatchedBase) {
    if (!isVersion(item[1])) continue;
    const vk = versionlessKey(item[1]);
    const bucket = removable.get(vk);
    if (bucket) bucket.push(item);
    else removable.set(vk, [item]);
  }
  const anyBase = new Map<string, Finding>();
  for (const f of base) if (isVersion(f) && !anyBase.has(versionlessKey(f))) anyBase.set(versionlessKey(f), f);
  const taken = new Set<Finding>();
  const still: Array<[string, Finding]> = [];
  for (const [k, f] of unmatchedHead) {
    if (!isVersion(f) || !isAdded(f)) {
      still.push([k, f]);
      continue;
    }
    const vk = versionlessKey(f);
    const bucket = removable.get(vk)?.filter(([, b]) => !taken.has(b) && b.location.version !== f.location.version);
    const from = bucket?.[0]?.[1] ?? anyBase.get(vk);
    if (!from || from.location.version === f.location.version) {
      still.push([k, f]);
      continue;
    }
    if (bucket?.[0]) taken.add(from);
    const e = entry(f, 'carried-over', k, options);
    e.carriedFrom = from.location.version;
    e.counts = e.counts && (options.countCarriedOver ?? false);
    out.carriedOver.push(e);
  }
  unmatchedHead.splice(0, unmatchedHead.length, ...still);
  const left = unmatchedBase.filter(([, b]) => !taken.has(b));
  unmatchedBase.splice(0, unmatchedBase.length, ...left);
}

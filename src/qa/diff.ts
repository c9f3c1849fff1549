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
}

export type FindingStatus = 'new' | 'fixed' | 'pre-existing';

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
  /** Line in the input it was read from (head for new and pre-existing, base for fixed). */
  line: number;
}

export interface QaDiff {
  new: DiffEntry[];
  fixed: DiffEntry[];
  preExisting: DiffEntry[];
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
  const out: QaDiff = { new: [], fixed: [], preExisting: [], warnings: [] };
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

  unmatchedHead.forEach(([k, f]) => out.new.push(entry(f, 'new', k, options)));
  unmatchedBase.forEach(([k, f]) => out.fixed.push(entry(f, 'fixed', k, options)));
  sortEntries(out.new);
  sortEntries(out.fixed);
  sortEntries(out.preExisting);
  return out;
}

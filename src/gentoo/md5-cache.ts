/**
 * Pure parser for ebuild metadata cache entries in the md5-dict format: the
 * files `pmaint regen` (or `egencache`) writes to
 * `metadata/md5-cache/<category>/<PF>`. One `KEY=value` per line, keys sorted,
 * empty values left out; the two underscore keys are the cache's own:
 *
 *   DEFINED_PHASES=compile install
 *   DESCRIPTION=Friendly greeting program
 *   EAPI=8
 *   INHERIT=sample-build
 *   ...
 *   _eclasses_=sample-build<TAB>3f1b...<TAB>toolchain-funcs<TAB>9c2e...
 *   _md5_=6a4b...
 *
 * `_eclasses_` lists every eclass the ebuild sourced, transitively, as
 * name/md5 pairs; `INHERIT` holds only the ebuild's own `inherit` line.
 * Scoping uses `_eclasses_`: an eclass change can reach a package through an
 * eclass it inherits indirectly.
 */
import { RefciError } from '../errors.ts';

export interface EclassStamp {
  name: string;
  /** The md5 of the eclass file when the entry was generated. */
  md5: string;
}

export interface Md5CacheEntry {
  /** Every `KEY=value` line except `_eclasses_` and `_md5_`, as written. */
  values: Record<string, string>;
  /** From `_eclasses_`, in file order. */
  eclasses: EclassStamp[];
  /** From `_md5_`: the md5 of the ebuild the entry describes. */
  md5?: string;
}

/** Parses one md5-cache file. `source` names it in errors. */
export function parseMd5CacheEntry(text: string, source = 'md5-cache entry'): Md5CacheEntry {
  const values: Record<string, string> = {};
  let eclasses: EclassStamp[] = [];
  let md5: string | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    const eq = line.indexOf('=');
    if (eq <= 0) {
      throw new RefciError(
        'invalid-input',
        `${source}, line ${index + 1}: expected KEY=value, found ${JSON.stringify(line.slice(0, 60))}`,
        'regenerate the metadata cache (pmaint regen) and try again',
      );
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === '_eclasses_') eclasses = parseEclassesValue(value, source);
    else if (key === '_md5_') md5 = value;
    else values[key] = value;
  });
  return { values, eclasses, md5 };
}

/**
 * `_eclasses_` is tab-separated `name md5` pairs. The older flat_hash cache
 * wrote `name path md5` triples; those are read too, dropping the path.
 */
export function parseEclassesValue(value: string, source = 'md5-cache entry'): EclassStamp[] {
  if (value.trim() === '') return [];
  const tokens = value.split('\t');
  const triples = tokens.length % 3 === 0 && (tokens.length % 2 !== 0 || tokens[1].startsWith('/'));
  const width = triples ? 3 : 2;
  if (tokens.length % width !== 0) {
    throw new RefciError(
      'invalid-input',
      `${source}: _eclasses_ has ${tokens.length} fields, expected name/md5 pairs`,
      'regenerate the metadata cache (pmaint regen) and try again',
    );
  }
  const out: EclassStamp[] = [];
  for (let i = 0; i < tokens.length; i += width) {
    const name = tokens[i];
    const md5 = tokens[i + width - 1];
    if (!name) throw new RefciError('invalid-input', `${source}: _eclasses_ has an empty eclass name`);
    out.push({ name, md5 });
  }
  return out;
}

/** Writes an entry back in the md5-dict layout (keys sorted, empty values dropped). */
export function formatMd5CacheEntry(entry: Md5CacheEntry): string {
  const lines = Object.keys(entry.values)
    .filter((key) => entry.values[key] !== '')
    .sort()
    .map((key) => `${key}=${entry.values[key]}`);
  if (entry.eclasses.length > 0) lines.push(`_eclasses_=${entry.eclasses.map((e) => `${e.name}\t${e.md5}`).join('\t')}`);
  if (entry.md5 !== undefined) lines.push(`_md5_=${entry.md5}`);
  return lines.join('\n') + '\n';
}

// PMS 3.2: a version is digits with dots, an optional letter, suffixes, a revision.
const VERSION_TAIL = /^(.+?)-(\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|p)\d*)*(?:-r\d+)?)$/;

/**
 * Splits a PF (`foo-1.2_rc1-r3`) into PN and the version with revision.
 * Undefined when the name has no valid version tail.
 */
export function splitPackageVersion(pf: string): { pn: string; pvr: string } | undefined {
  // The lazy PN takes the first hyphen that starts a valid version; PMS forbids
  // package names that end in a hyphen and a version, so that is the split.
  const match = VERSION_TAIL.exec(pf);
  if (!match) return undefined;
  return { pn: match[1], pvr: match[2] };
}

export interface CacheFile {
  /** `<category>/<PF>`, the path below metadata/md5-cache. */
  cpv: string;
  entry: Md5CacheEntry;
}

/**
 * `category/package` -> the eclasses any of its versions inherits (sorted).
 * Every package with an entry is in the map, an empty list when it inherits
 * nothing, so the map also tells which packages exist.
 */
export function eclassMapFromEntries(files: Iterable<CacheFile>): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const file of files) {
    const slash = file.cpv.indexOf('/');
    if (slash <= 0) continue;
    const category = file.cpv.slice(0, slash);
    const split = splitPackageVersion(file.cpv.slice(slash + 1));
    if (!split) continue;
    const key = `${category}/${split.pn}`;
    let set = sets.get(key);
    if (!set) sets.set(key, (set = new Set()));
    for (const eclass of file.entry.eclasses) set.add(eclass.name);
  }
  const out = new Map<string, string[]>();
  for (const key of [...sets.keys()].sort()) out.set(key, [...sets.get(key)!].sort());
  return out;
}

/**
 * Keyword classes, as Gentoo CI uses them (projg2/pkgcheck2html): a map from
 * keyword to "err", "warn", "staging", "verbose" or "" (ignored). A keyword
 * missing from the map is ignored too. Class `err` counts against a pull
 * request; `warn` counts when `countWarnings` is set; nothing else counts.
 */
import { RefciError } from '../errors.ts';
import { classCandidates } from './aliases.ts';
import { GENTOO_KEYWORD_CLASSES } from './gentoo-keyword-classes.ts';
import type { Finding } from './types.ts';

export type KeywordClassMap = Readonly<Record<string, string>>;

export { GENTOO_KEYWORD_CLASSES };

/**
 * The class of a finding: the map's entry for its public keyword, else for the
 * Python class it was read as (JsonStream), else for the Python classes that
 * share the keyword (`EbuildX` first for a package location, `EclassX` first
 * otherwise); "" when none is mapped.
 */
export function keywordClass(finding: Pick<Finding, 'keyword' | 'sourceClass' | 'location'>, classes: KeywordClassMap = GENTOO_KEYWORD_CLASSES): string {
  const names = [finding.keyword];
  if (finding.sourceClass !== undefined) names.push(finding.sourceClass);
  names.push(...classCandidates(finding.keyword, finding.location.category !== undefined));
  for (const name of names) if (Object.hasOwn(classes, name)) return classes[name]!;
  return '';
}

export function classCounts(cls: string, countWarnings: boolean): boolean {
  return cls === 'err' || (countWarnings && cls === 'warn');
}

/** Check a caller-supplied class map (parsed JSON); `source` names it in errors. */
export function validateKeywordClasses(value: unknown, source = 'keyword classes'): KeywordClassMap {
  const hint = 'give a JSON object mapping each keyword to "err", "warn", "staging", "verbose" or "", like pkgcheck2html.conf.json';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RefciError('invalid-input', `${source} is not a JSON object (found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value})`, hint);
  }
  const out: Record<string, string> = {};
  for (const [keyword, cls] of Object.entries(value)) {
    if (typeof cls !== 'string') {
      throw new RefciError('invalid-input', `${source}: the class of ${JSON.stringify(keyword)} is ${JSON.stringify(cls)}, not a string`, hint);
    }
    out[keyword] = cls;
  }
  return Object.freeze(out);
}

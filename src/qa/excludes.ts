/**
 * Excludes in the shape of Gentoo CI's excludes.json (projg2/pkgcheck2html):
 * `{category: {package: {version: [Keyword, ...]}}}`. As pkgcheck2excludes.py
 * writes it and pkgcheck2html reads it, "" at a level means the finding has
 * nothing there: `{"": {"": {"": [K]}}}` excludes K for results without a
 * category (repository, eclass, profile, commit), `{"dev-libs": {"": {"": [K]}}}`
 * for results about the category itself. refci also reads "*" as any value
 * at that level (no category, package or version can be named "*").
 * An excluded finding never counts.
 */
import { RefciError } from '../errors.ts';
import { classCandidates } from './aliases.ts';
import type { Finding } from './types.ts';

export type Excludes = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>>>;

export const ANY = '*';

export function isExcluded(finding: Pick<Finding, 'keyword' | 'sourceClass' | 'location'>, excludes: Excludes | undefined): boolean {
  if (!excludes) return false;
  const { category = '', package: pkg = '', version = '' } = finding.location;
  const names = new Set([finding.keyword, ...classCandidates(finding.keyword, finding.location.category !== undefined)]);
  if (finding.sourceClass !== undefined) names.add(finding.sourceClass);
  const pick = <T>(o: Readonly<Record<string, T>> | undefined, k: string): T[] => {
    if (!o) return [];
    const out: T[] = [];
    if (Object.hasOwn(o, k)) out.push(o[k]!);
    if (k !== ANY && Object.hasOwn(o, ANY)) out.push(o[ANY]!);
    return out;
  };
  for (const byPkg of pick(excludes, category)) {
    for (const byVer of pick(byPkg, pkg)) {
      for (const list of pick(byVer, version)) {
        if (list.some((k) => names.has(k))) return true;
      }
    }
  }
  return false;
}

/** Check caller-supplied excludes (parsed JSON); `source` names them in errors. */
export function validateExcludes(value: unknown, source = 'excludes'): Excludes {
  const hint = 'give a JSON object {category: {package: {version: [Keyword, ...]}}} like Gentoo CI excludes.json ("" = none at that level, "*" = any)';
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(value)) throw new RefciError('invalid-input', `${source} is not a JSON object`, hint);
  for (const [cat, byPkg] of Object.entries(value)) {
    if (!isObj(byPkg)) throw new RefciError('invalid-input', `${source}: ${JSON.stringify(cat)} does not map to an object of packages`, hint);
    for (const [pkg, byVer] of Object.entries(byPkg)) {
      if (!isObj(byVer)) throw new RefciError('invalid-input', `${source}: ${JSON.stringify(`${cat}/${pkg}`)} does not map to an object of versions`, hint);
      for (const [ver, list] of Object.entries(byVer)) {
        if (!Array.isArray(list) || !list.every((k) => typeof k === 'string')) {
          throw new RefciError('invalid-input', `${source}: ${JSON.stringify(`${cat}/${pkg}/${ver}`)} does not map to a list of keyword strings`, hint);
        }
      }
    }
  }
  return value as Excludes;
}

/**
 * Grouping of diff entries for reports: by category, then package.
 * Results about a category itself form a group of their own; results
 * without a category (repository, eclass, profile, commit) go last.
 */
import type { DiffEntry } from './diff.ts';

export interface PackageGroup {
  /** `dev-libs/foo`, `dev-libs` (category-level) or `` (repository-level). */
  name: string;
  category?: string;
  package?: string;
  /** Anchor id: `pkg-dev-libs/foo`, `cat-dev-libs`, `repo`. */
  anchor: string;
  entries: DiffEntry[];
}

export interface CategoryGroup {
  /** `` for repository-level results. */
  category: string;
  packages: PackageGroup[];
}

export function packageGroupOf(e: DiffEntry): Omit<PackageGroup, 'entries'> {
  const { category, package: pkg } = e.location;
  if (category !== undefined && pkg !== undefined) return { name: `${category}/${pkg}`, category, package: pkg, anchor: `pkg-${category}/${pkg}` };
  if (category !== undefined) return { name: category, category, anchor: `cat-${category}` };
  return { name: '', anchor: 'repo' };
}

/** Entries must already be sorted (compareEntries); group order follows entry order. */
export function groupEntries(entries: readonly DiffEntry[]): CategoryGroup[] {
  const cats = new Map<string, CategoryGroup>();
  const pkgs = new Map<string, PackageGroup>();
  for (const e of entries) {
    const g = packageGroupOf(e);
    let pg = pkgs.get(g.anchor);
    if (!pg) {
      pg = { ...g, entries: [] };
      pkgs.set(g.anchor, pg);
      const catName = g.category ?? '';
      let cg = cats.get(catName);
      if (!cg) {
        cg = { category: catName, packages: [] };
        cats.set(catName, cg);
      }
      cg.packages.push(pg);
    }
    pg.entries.push(e);
  }
  return [...cats.values()];
}

/** What to print next to a finding inside its package group: version, eclass, profile or commit. */
export function entryPlace(e: DiffEntry): string {
  const l = e.location;
  if (l.version !== undefined) return `${l.package}-${l.version}`;
  if (l.eclass !== undefined) return `${l.eclass}.eclass`;
  if (l.profile !== undefined) return `profiles/${l.profile}`;
  if (l.commit !== undefined) return `commit ${l.commit}`;
  return '';
}

import type { ResultRecord } from '../protocol/result.ts';

/** The shape of `details.scope` the gentoo pipeline records (src/run/gentoo.ts) that this reads. */
interface ScopeDetails {
  targets?: unknown;
  unknownCategories?: unknown;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/**
 * Why a gentoo result's scans could not see every package the pull request
 * touches, or undefined when they could. pkgcore knows only the categories
 * that profiles/categories of the repository and its masters list: a package
 * in any other folder is passed to pkgcheck as a target and comes back with no
 * finding at all, so "no new errors" would be said of a package nobody checked.
 */
export function unseenPackagesReason(result: Pick<ResultRecord, 'details'>): string | undefined {
  const scope = result.details.scope as ScopeDetails | undefined;
  if (!scope || typeof scope !== 'object') return undefined;
  const unknown = new Set(strings(scope.unknownCategories));
  const categoryOf = (atom: string) => atom.slice(0, atom.indexOf('/'));
  const packages = strings(scope.targets).filter((atom) => unknown.has(categoryOf(atom)));
  // A category named only by removed files (a category retired with its last package) leaves nothing unseen.
  if (packages.length === 0) return undefined;
  const categories = [...new Set(packages.map(categoryOf))];
  const list = (items: string[]) => items.slice(0, 5).join(', ') + (items.length > 5 ? ` and ${items.length - 5} more` : '');
  const one = categories.length === 1;
  return (
    `${list(packages)} not checked: categor${one ? 'y' : 'ies'} ${list(categories)} ${one ? 'is' : 'are'} in no profiles/categories ` +
    `of the repository or its masters, so pkgcheck does not see ${packages.length === 1 ? 'it' : 'them'}; list the categor${one ? 'y' : 'ies'} in profiles/categories`
  );
}

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
  const categories = strings(scope.unknownCategories);
  if (categories.length === 0) return undefined;
  const unseen = new Set(categories);
  const packages = strings(scope.targets).filter((atom) => unseen.has(atom.slice(0, atom.indexOf('/'))));
  const shown = packages.slice(0, 5).join(', ') + (packages.length > 5 ? ` and ${packages.length - 5} more` : '');
  const named = categories.slice(0, 5).join(', ') + (categories.length > 5 ? ` and ${categories.length - 5} more` : '');
  return (
    `${shown || 'packages of this pull request'} not checked: categor${categories.length === 1 ? 'y' : 'ies'} ${named} ` +
    `${categories.length === 1 ? 'is' : 'are'} in no profiles/categories of the repository or its masters, so pkgcheck does not see ` +
    `${packages.length === 1 ? 'it' : 'them'}; list the categor${categories.length === 1 ? 'y' : 'ies'} in profiles/categories`
  );
}

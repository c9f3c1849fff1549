/**
 * The packages that still name a package the pull request removes (pure).
 * Removing a package changes the findings of packages nobody touched: an
 * ebuild that depends on it gains NonexistentDeps, a profile that masks it
 * an unknown package. Scanning only what the PR touched would find nothing
 * to scan and say "no new errors" of a removal that breaks its dependents.
 */
import { isPackageName, type Scope } from './scope.ts';

/** Characters of a category or package name (PMS 3.1.1, 3.1.2), less `-`, which a bracket expression must end with. */
const NAME_CHARS = 'A-Za-z0-9+_';

function escaped(atom: string): string {
  return atom.replace(/[.+]/g, (c) => `\\${c}`);
}

/**
 * A regular expression (with the `m` flag: a name at a line's start or end)
 * for `cat/pkg` named in an ebuild as a dependency: `cat/pkg`, `>=cat/pkg-1.2`,
 * `cat/pkg:0`, `cat/pkg[use]`, never `cat/pkg-compat` or `other-cat/pkg`.
 */
export function namedAtomPattern(atom: string): string {
  return `(^|[^${NAME_CHARS}./-])${escaped(atom)}(-[0-9]|[^${NAME_CHARS}-]|$)`;
}

/**
 * `cat/pkg` -> the removed packages it names, from the texts of its
 * `cat/pkg/*.ebuild` files (files elsewhere, names PMS does not allow and
 * removed packages are left out).
 */
export function dependentsOf(removed: readonly string[], ebuilds: ReadonlyArray<{ path: string; text: string }>): Map<string, string[]> {
  const patterns = removed.map((atom) => ({ atom, re: new RegExp(namedAtomPattern(atom), 'm') }));
  const gone = new Set(removed);
  const out = new Map<string, string[]>();
  for (const { path, text } of ebuilds) {
    const parts = path.split('/');
    if (parts.length !== 3 || !parts[2]!.endsWith('.ebuild') || !isPackageName(parts[0]!, parts[1]!)) continue;
    const dependent = `${parts[0]}/${parts[1]}`;
    if (gone.has(dependent)) continue;
    const named = patterns.filter(({ re }) => re.test(text)).map(({ atom }) => atom);
    if (named.length === 0) continue;
    out.set(dependent, [...new Set([...(out.get(dependent) ?? []), ...named])].sort());
  }
  return out;
}

/**
 * The scope with the dependents of removed packages as package targets and,
 * for any removal, the repository-level checks (profiles may still name the
 * package); past `maxTargets`, or with `escalateRepoLevel`, the whole tree, as
 * for any other repository-level change.
 */
export function withRemovedDependents(scope: Scope, dependents: ReadonlyMap<string, readonly string[]>, maxTargets: number, escalateRepoLevel = false): Scope {
  if (scope.deleted.length === 0) return scope;
  const targets = new Set(scope.targets);
  const reasons = [...scope.reasons];
  for (const [dependent, named] of [...dependents].sort(([a], [b]) => a.localeCompare(b))) {
    if (targets.has(dependent)) continue;
    targets.add(dependent);
    reasons.push({ target: dependent, why: `names removed ${named.join(', ')}` });
  }
  reasons.push({ target: 'repo', why: `repository-level checks: packages removed (${scope.deleted.join(', ')}); profiles may still name them` });
  const sorted = [...targets].sort();
  let mode = scope.mode;
  if (mode === 'targets' && sorted.length > maxTargets) {
    mode = 'full';
    reasons.push({ target: '*', why: `${sorted.length} package targets exceed maxTargets ${maxTargets}; scanning the whole tree` });
  } else if (mode === 'targets' && escalateRepoLevel) {
    mode = 'full';
    reasons.push({ target: '*', why: 'packages removed and escalateRepoLevel is set; scanning the whole tree' });
  }
  return { ...scope, mode, targets: sorted, repoLevel: true, reasons };
}

/**
 * Package moves (`move cat/old cat/new` in profiles/updates) applied to base
 * findings before the diff. A PR that moves a package scans the old name in
 * the base and the new one in the head; without the move every finding of the
 * package would be new at the new name and fixed at the old, and its
 * unchanged findings would fail the PR. Renaming the base findings' location
 * to the new name makes them meet their head counterparts by key.
 */
import type { Finding } from './types.ts';

export interface PackageMove {
  /** `cat/old` */
  from: string;
  /** `cat/new` */
  to: string;
}

const ATOM = /^[A-Za-z0-9_][A-Za-z0-9+_.-]*\/[A-Za-z0-9_][A-Za-z0-9+_-]*$/;

/** Checks moves read from a result's details: `[{from, to}]` of `cat/pkg` atoms; anything else is left out. */
export function movesFromDetails(value: unknown): PackageMove[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (m): m is PackageMove => typeof m === 'object' && m !== null && ATOM.test(String(m.from)) && ATOM.test(String(m.to)) && m.from !== m.to,
  );
}

/** Where `cat/pkg` ends after the moves, following chains (a -> b, b -> c) and stopping on a cycle. */
export function movedName(atom: string, moves: readonly PackageMove[]): string {
  const next = new Map(moves.map((m) => [m.from, m.to]));
  const seen = new Set([atom]);
  let current = atom;
  for (;;) {
    const to = next.get(current);
    if (to === undefined || seen.has(to)) return current;
    seen.add(to);
    current = to;
  }
}

/** The findings with each moved package's category and package renamed; the others as they are. */
export function applyMoves(findings: readonly Finding[], moves: readonly PackageMove[]): Finding[] {
  if (moves.length === 0) return [...findings];
  return findings.map((f) => {
    const { category, package: pkg } = f.location;
    if (category === undefined || pkg === undefined) return f;
    const to = movedName(`${category}/${pkg}`, moves);
    if (to === `${category}/${pkg}`) return f;
    const slash = to.indexOf('/');
    return { ...f, location: { ...f.location, category: to.slice(0, slash), package: to.slice(slash + 1) } };
  });
}

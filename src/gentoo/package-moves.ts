/**
 * Pure parsing of `profiles/updates/*` (PMS 4.4.3): one command per line;
 * `move cat/old cat/new` renames a package. Other commands (`slotmove`) do
 * not change a finding's package and are skipped.
 */
import type { PackageMove } from '../qa/moves.ts';

export function parseUpdateMoves(text: string): PackageMove[] {
  const out: PackageMove[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length === 3 && words[0] === 'move' && words[1].includes('/') && words[2].includes('/')) out.push({ from: words[1], to: words[2] });
  }
  return out;
}

/** Moves the head has and the base does not: what the PR itself adds, in the head's order. */
export function addedMoves(base: readonly PackageMove[], head: readonly PackageMove[]): PackageMove[] {
  const known = new Set(base.map((m) => `${m.from} ${m.to}`));
  return head.filter((m) => !known.has(`${m.from} ${m.to}`));
}

/**
 * Scoping at the size of ::gentoo: a generated tree of 170 categories, 19,000
 * packages, 31,000 ebuilds and 200 eclasses, each ebuild with a current
 * md5-cache entry (as the kept metadata cache gives a job). Measures what the
 * gentoo pipeline reads on the host before any step: for a version bump (the
 * touched package folders only) and for an eclass change (the whole tree's
 * eclass map, from the cache).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { packagesAmong, readInheritance } from '../src/gentoo/changed-paths.ts';
import { computeScope, scopeNeeds, type ChangedPath } from '../src/gentoo/scope.ts';

export interface ScopeFigures {
  ebuilds: number;
  packages: number;
  generateMs: number;
  bumpMs: number;
  eclassMs: number;
  eclassTargets: number;
  fromCache: number;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const since = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** ::gentoo's size, as bench/checkout.ts uses it too. */
export const GENTOO_SIZE = { categories: 170, packages: 19_000, ebuilds: 31_000, eclasses: 200 };

/** Writes a tree of that size: eclasses, categories, packages with their ebuilds, each with a current md5-cache entry. */
export function generate(root: string, categories: number, packages: number, ebuilds: number, eclasses: number): void {
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  const eclassText = Array.from({ length: eclasses }, (_, e) => `# eclass ${e}\n`);
  for (let e = 0; e < eclasses; e++) write(path.join(root, 'eclass', `e${e}.eclass`), eclassText[e]);
  const cats = Array.from({ length: categories }, (_, c) => `cat-${c}`);
  write(path.join(root, 'profiles', 'categories'), `${cats.join('\n')}\n`);
  write(path.join(root, 'profiles', 'repo_name'), 'gentoo\n');
  let written = 0;
  for (let p = 0; p < packages; p++) {
    const category = cats[p % categories];
    const versions = Math.max(1, Math.round(((p + 1) * ebuilds) / packages) - Math.round((p * ebuilds) / packages));
    for (let v = 0; v < versions && written < ebuilds; v++, written++) {
      const inherits = [`e${p % eclasses}`, `e${(p * 7 + 3) % eclasses}`];
      const text = `EAPI=8\ninherit ${inherits.join(' ')}\nDESCRIPTION="package ${p}"\nSLOT="0"\nLICENSE="MIT"\nKEYWORDS="~amd64"\n`;
      write(path.join(root, category, `pkg-${p}`, `pkg-${p}-${v + 1}.ebuild`), text);
      const stamps = inherits.map((name) => `${name}\t${md5(eclassText[Number(name.slice(1))])}`).join('\t');
      write(path.join(root, 'metadata', 'md5-cache', category, `pkg-${p}-${v + 1}`), `EAPI=8\nSLOT=0\n_eclasses_=${stamps}\n_md5_=${md5(text)}\n`);
    }
  }
}

export async function scopeAtGentooSize(root: string): Promise<ScopeFigures> {
  const tree = path.join(root, 'gentoo-size');
  const sizes = GENTOO_SIZE;
  const generated = process.hrtime.bigint();
  generate(tree, sizes.categories, sizes.packages, sizes.ebuilds, sizes.eclasses);
  const generateMs = since(generated);

  const scope = async (changes: ChangedPath[]) => {
    const needs = scopeNeeds(changes);
    const inheritance = needs.eclassMap ? await readInheritance(tree) : undefined;
    const existingPackages = inheritance ? new Set(inheritance.map.keys()) : await packagesAmong(tree, needs.packages);
    return { scope: computeScope({ changes, eclassesByPackage: inheritance?.map ?? new Map(), existingPackages, maxTargets: 100_000 }), inheritance };
  };
  const bump = process.hrtime.bigint();
  await scope([{ status: 'A', path: 'cat-3/pkg-3/pkg-3-9.ebuild' }, { status: 'M', path: 'cat-3/pkg-3/Manifest' }]);
  const bumpMs = since(bump);
  const eclass = process.hrtime.bigint();
  const changed = await scope([{ status: 'M', path: 'eclass/e7.eclass' }]);
  const eclassMs = since(eclass);
  fs.rmSync(tree, { recursive: true, force: true });
  return {
    ebuilds: sizes.ebuilds,
    packages: sizes.packages,
    generateMs,
    bumpMs,
    eclassMs,
    eclassTargets: changed.scope.targets.length,
    fromCache: changed.inheritance?.fromCache ?? 0,
  };
}

/**
 * Scoping at the size of ::gentoo: a generated tree of 170 categories, 19,000
 * packages, 31,000 ebuilds and 200 eclasses, each ebuild with a current
 * md5-cache entry (as the kept metadata cache gives a job). Measures what the
 * gentoo pipeline reads on the host before any step: for a version bump (the
 * touched package folders only) and for an eclass change (the whole tree's
 * eclass map, from the cache). Then the same tree is committed to git and the
 * eclass change is scoped as a worker in steady state does it: from the
 * inheritance index it kept after a job on an earlier base, and a git diff.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { packagesAmong, readInheritance } from '../src/gentoo/changed-paths.ts';
import { git } from '../src/git/runner.ts';
import { inheritanceByIndex, refreshInheritIndex } from '../src/run/inherit-index.ts';
import { computeScope, scopeNeeds, type ChangedPath } from '../src/gentoo/scope.ts';

export interface ScopeFigures {
  ebuilds: number;
  packages: number;
  generateMs: number;
  bumpMs: number;
  eclassMs: number;
  eclassTargets: number;
  fromCache: number;
  /** The first job's keeping: the index built from the whole regenerated tree. */
  indexBuildMs: number;
  /** A later job's keeping, the base having moved by `baseMoves` version bumps: the index updated from the diff. */
  indexUpdateMs: number;
  baseMoves: number;
  /** The eclass change scoped from the index kept at the PR's own base (a diff of one path). */
  indexedSameBaseMs: number;
  /** The same from an index kept one base behind (the bumps read from their ebuilds). */
  indexedBehindMs: number;
  indexBytes: number;
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

  // A worker in steady state: the tree is a git repository (the cache ignored,
  // as ::gentoo's git has none), the index was kept at the commit S0 of an
  // earlier job's base, the base then moved by version bumps to S1, and the PR
  // changes an eclass on S1.
  // No background gc or maintenance: the folder is removed at the end.
  const run = (args: string[]) => git(['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', ...args], { cwd: tree });
  fs.writeFileSync(path.join(tree, '.gitignore'), '/metadata/md5-cache/\n');
  await run(['init', '--quiet', '-b', 'master']);
  await run(['add', '-A']);
  const commit = async (message: string) => {
    await run(['-c', 'user.name=bench', '-c', 'user.email=bench@example.org', 'commit', '--quiet', '--no-verify', '-m', message]);
    return (await run(['rev-parse', 'HEAD'])).stdout.trim();
  };
  const s0 = await commit('base');
  const indexFile = path.join(root, 'state', 'inherit-index.json');
  const built = process.hrtime.bigint();
  await refreshInheritIndex({ file: indexFile, gitDir: tree, basedir: tree, commit: s0, masters: [] });
  const indexBuildMs = since(built);
  const baseMoves = 100;
  for (let p = 0; p < baseMoves; p++) {
    const n = p * 97;
    const dir = path.join(tree, `cat-${n % sizes.categories}`, `pkg-${n}`);
    const ebuild = fs.readdirSync(dir).find((name) => name.endsWith('.ebuild'))!;
    const text = fs.readFileSync(path.join(dir, ebuild), 'utf8').replace('KEYWORDS="~amd64"', 'KEYWORDS="amd64"');
    fs.writeFileSync(path.join(dir, ebuild), text);
    // What the base regen of the next job writes for it.
    const entry = path.join(tree, 'metadata', 'md5-cache', path.basename(path.dirname(dir)), ebuild.slice(0, -'.ebuild'.length));
    fs.writeFileSync(entry, fs.readFileSync(entry, 'utf8').replace(/_md5_=.*/, `_md5_=${md5(text)}`));
  }
  await run(['add', '-A']);
  const s1 = await commit('bumps');
  // The index one base behind stays aside; the kept one follows the job on S1 (the tree is S1's, regenerated).
  const behindFile = path.join(root, 'state', 'inherit-index-behind.json');
  fs.copyFileSync(indexFile, behindFile);
  const updated = process.hrtime.bigint();
  await refreshInheritIndex({ file: indexFile, gitDir: tree, basedir: tree, commit: s1, masters: [] });
  const indexUpdateMs = since(updated);
  fs.appendFileSync(path.join(tree, 'eclass', 'e7.eclass'), '# changed\n');
  await run(['add', '-A']);
  const merged = await commit('eclass change');
  const indexed = async (file: string) => {
    const start = process.hrtime.bigint();
    const byIndex = await inheritanceByIndex({ file, gitDir: tree, merged, workdir: tree, masters: [] });
    if (!('inheritance' in byIndex)) throw new Error(`the bench expected the index to answer: ${byIndex.fallback}`);
    const map = byIndex.inheritance.map;
    const found = computeScope({ changes: [{ status: 'M', path: 'eclass/e7.eclass' }], eclassesByPackage: map, existingPackages: new Set(map.keys()), maxTargets: 100_000 });
    const ms = since(start);
    if (JSON.stringify(found.targets) !== JSON.stringify(changed.scope.targets)) throw new Error('the index gave other targets than the full read');
    return ms;
  };
  const indexedBehindMs = await indexed(behindFile);
  const indexedSameBaseMs = await indexed(indexFile);
  const indexBytes = fs.statSync(indexFile).size;
  fs.rmSync(tree, { recursive: true, force: true });
  return {
    indexBuildMs,
    indexUpdateMs,
    baseMoves,
    indexedSameBaseMs,
    indexedBehindMs,
    indexBytes,
    ebuilds: sizes.ebuilds,
    packages: sizes.packages,
    generateMs,
    bumpMs,
    eclassMs,
    eclassTargets: changed.scope.targets.length,
    fromCache: changed.inheritance?.fromCache ?? 0,
  };
}

import fs from 'node:fs';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { RefciError } from '../errors.ts';
import { recordNamedMasters } from '../fleet/masters-gate.ts';
import { changedPaths, type Inheritance, packagesAmong, readCategoriesWithMasters, readInheritance, readLayoutMasters, readRepoName, readUpdateMoves, versionsTouched } from '../gentoo/changed-paths.ts';
import { missingMasters, missingMastersLine } from '../gentoo/layout-conf.ts';
import { addedMoves } from '../gentoo/package-moves.ts';
import { addedVersions, computeScope, isPackageName, scanArgs, scopeNeeds, type Scope } from '../gentoo/scope.ts';
import { dependentsOf, withRemovedDependents } from '../gentoo/removed-dependents.ts';
import { readTreeFile, treeLinkTargets } from '../gentoo/tree-files.ts';
import { filesContaining } from '../git/grep.ts';
import type { PreparedTrees } from './workspace.ts';
import { changesSinceExport } from '../git/export-tree.ts';
import { gitFolderReason, untrustedSymlinksReason, treeChangedReason } from '../gentoo/regen-outputs.ts';
import { changedScanSettings } from '../gentoo/scan-settings.ts';
import { inheritanceByIndex, inheritIndexOf, refreshInheritIndex } from './inherit-index.ts';
import { dropProposedCacheEntries, keepMetadataCache, metadataCacheOf, seedMetadataCache } from './metadata-cache.ts';
import type { MasterCheckout, MasterSpec } from './master-checkout.ts';
import type { BeforeSteps } from './pipeline.ts';
import { portageConfigDirs, writePortageConfig } from './portage-config.ts';

const MAX_RECORDED_REASONS = 200;

/**
 * The gentoo pipeline's scope: what the PR changes between its basis and the
 * merge, and so which packages, eclasses and repository-level checks to scan.
 * The eclass map comes from the inheritance index kept from an earlier job's
 * base regen (inherit-index.ts) and the diff from its commit; without a usable
 * index, from the metadata cache kept likewise (metadata-cache.ts) where its
 * entries are current and the PR did not touch them, and from the inherit
 * lines elsewhere (the cache is regenerated only by the steps that follow). The base tree is scanned with the
 * same targets, less those it does not have (a new package or eclass), so
 * both scans run with the same options and versions on the same packages.
 */
export function gentooBeforeSteps(config: FleetConfig, stateDir: string): BeforeSteps {
  return async (job, trees) => {
    // An overlay builds on its masters' categories: without them its packages
    // would be "outside packages" and a bump would pass with nothing scanned.
    const configured = config.pipelines[job.pipeline]?.masters;
    const named = await readLayoutMasters(trees.workdir);
    recordNamedMasters(stateDir, job.pipeline, job.repo, named);
    const missing = missingMasters(named, configured);
    if (missing.length > 0) throw new RefciError('invalid-config', missingMastersLine(job.pipeline, missing));
    const masters = named.map((name) => masterLocation(job.pipeline, name, configured![name], trees.masters));
    const masterCommits = masters.map((m) => ({ ...m, commit: trees.masters?.find((c) => c.name === m.name)?.commit }));
    const keptCache = metadataCacheOf(stateDir, job.repo);
    const keptIndex = inheritIndexOf(stateDir, job.repo);
    const changes = await changedPaths(trees.gitDir, trees.basis, trees.merged);
    dropProposedCacheEntries(trees.workdir, trees.basedir, changes);
    seedMetadataCache(keptCache, [trees.workdir, trees.basedir]);
    const categories = await readCategoriesWithMasters(trees.workdir, masters);
    // The whole tree is read only when an eclass changed: its inheritors are then scanned.
    const needs = scopeNeeds(changes);
    let inheritance: Inheritance | undefined;
    let inheritanceSource: Record<string, unknown> = { notRead: 'no eclass changed' };
    if (needs.eclassMap) {
      const byIndex = await inheritanceByIndex({ file: keptIndex, gitDir: trees.gitDir, merged: trees.merged, workdir: trees.workdir, masters: masterCommits });
      if ('inheritance' in byIndex) {
        inheritance = byIndex.inheritance;
        inheritanceSource = { source: 'index', indexCommit: byIndex.commit };
      } else {
        inheritance = await readInheritance(trees.workdir, versionsTouched(changes));
        inheritanceSource = { source: 'tree', why: byIndex.fallback };
      }
    }
    const touchedScope = computeScope({
      changes,
      eclassesByPackage: inheritance?.map ?? new Map(),
      // Every folder with ebuilds, listed or not: a package in an unknown category is scanned and flagged.
      // The inheritance map has every one as a key, so the tree is not walked twice.
      existingPackages: inheritance ? new Set(inheritance.map.keys()) : await packagesAmong(trees.workdir, needs.packages),
      categories,
      maxTargets: config.gentoo.maxTargets,
      escalateRepoLevel: config.gentoo.escalateRepoLevel,
    });
    const dependents = touchedScope.mode === 'targets' ? await removedDependents(trees, touchedScope.deleted) : new Map<string, string[]>();
    const scope = withRemovedDependents(touchedScope, dependents, config.gentoo.maxTargets, config.gentoo.escalateRepoLevel);
    const inBase = (repoPath: string) => fs.existsSync(path.join(trees.basedir, repoPath));
    // A package the PR moves (profiles/updates) is scanned under its old name in
    // the base, so the collector can match its findings after renaming them.
    // A move renames only a package whose old name has no ebuild left in the merged tree. A PR that adds
    // a move and keeps the old package would otherwise have the base's findings of the old one renamed
    // onto its new copy, and pass the copy's errors off as ones the base already had.
    // Both names become pkgcheck targets of the base scan: only names PMS allows (`move ../base x/y` is not one).
    const allowedName = (atom: string) => isPackageName(atom.slice(0, atom.indexOf('/')), atom.slice(atom.indexOf('/') + 1));
    const proposed = addedMoves(await readUpdateMoves(trees.basedir), await readUpdateMoves(trees.workdir)).filter((m) => allowedName(m.from) && allowedName(m.to));
    const oldStillThere = await packagesAmong(trees.workdir, proposed.map((m) => m.from));
    const moves = proposed.filter((m) => !oldStillThere.has(m.from));
    const movedFrom = moves.filter((m) => scope.targets.includes(m.to) && inBase(m.from)).map((m) => m.from);
    const baseScope: Scope = { ...scope, targets: [...new Set([...scope.targets.filter(inBase), ...movedFrom])].sort() };
    const merged = scanArgs(scope).map((run) => run.args);
    const base = scanArgs(baseScope, { pathExists: inBase }).map((run) => run.args);
    const pipeline = config.pipelines[job.pipeline];
    // A repos.conf per tree naming it and its masters where this job reads them: pmaint and pkgcheck get it with --config.
    const portage = portageConfigDirs(trees.jobDir);
    const masterRepos = masters.map((m) => ({ name: m.name, location: m.path }));
    const fallbackName = path.basename(job.repo).replace(/\.git$/, '') || 'repository';
    writePortageConfig(portage.merged, { name: (await readRepoName(trees.workdir)) ?? fallbackName, location: trees.workdir }, masterRepos);
    writePortageConfig(portage.base, { name: (await readRepoName(trees.basedir)) ?? fallbackName, location: trees.basedir }, masterRepos);
    return {
      values: {},
      treeValues: { merged: { portageconfig: portage.merged }, base: { portageconfig: portage.base } },
      scans: { merged, base },
      // PR code runs during regen with the merged tree writable: what was scanned must be what the PR proposed.
      verify: trees.mergedIndex
        ? async () => {
            const { changed, unread } = await changesSinceExport(trees.gitDir, trees.mergedIndex!, trees.workdir);
            return (
              treeChangedReason(changed, unread) ??
              gitFolderReason(lexists(path.join(trees.workdir, '.git'))) ??
              untrustedSymlinksReason(treeLinkTargets(trees.workdir, trees.mergedSymlinks ?? []))
            );
          }
        : undefined,
      after: async (steps) => {
        if (!(await keepMetadataCache(keptCache, trees.basedir, pipeline, steps))) return;
        await refreshInheritIndex({ file: keptIndex, gitDir: trees.gitDir, basedir: trees.basedir, commit: trees.basis, masters: masterCommits });
      },
      details: {
        scope: {
          mode: scope.mode,
          targets: scope.targets,
          eclasses: scope.eclasses,
          repoLevel: scope.repoLevel,
          deleted: scope.deleted,
          unknownCategories: scope.unknownCategories,
          masters: masters.map((m) => m.name),
          reasons: scope.reasons.slice(0, MAX_RECORDED_REASONS),
        },
        scans: { merged, base },
        // The collector renames base findings of these packages before the diff (docs/protocol.md 9).
        moves,
        // pkgcheck's own settings the PR changes: the scans would not run alike (collect/scan-settings.ts).
        scanSettingsChanged: changedScanSettings(changes),
        // Findings of these versions that the base has at another version are "carried over".
        addedVersions: addedVersions(changes),
        inheritance: inheritance
          ? { ...inheritanceSource, fromCache: inheritance.fromCache, fromLines: inheritance.fromLines.length, fromLinesFirst: inheritance.fromLines.slice(0, 20) }
          : inheritanceSource,
      },
    };
  };
}

/**
 * The packages of the merged tree that still name a removed package: git
 * finds the ebuilds holding a removed name as plain text (fast, however many
 * names), and each is then read from the tree and matched as a dependency.
 */
async function removedDependents(trees: PreparedTrees, removed: readonly string[]): Promise<Map<string, string[]>> {
  if (removed.length === 0) return new Map();
  const files = (await filesContaining(trees.gitDir, trees.merged, removed, ['*.ebuild'])).filter((file) => file.split('/').length === 3);
  const ebuilds: Array<{ path: string; text: string }> = [];
  for (const file of files) {
    const text = await readTreeFile(trees.workdir, path.join(trees.workdir, file));
    if (text !== undefined) ebuilds.push({ path: file, text });
  }
  return dependentsOf(removed, ebuilds);
}

/** Whether anything, a dangling symlink included, is at `file`. */
function lexists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Where this job reads a named master: its mirrored copy, or the configured checkout. */
function masterLocation(pipeline: string, name: string, spec: MasterSpec, checkouts: readonly MasterCheckout[] | undefined): { name: string; path: string } {
  const checkout = checkouts?.find((m) => m.name === name);
  if (checkout) return { name, path: checkout.path };
  if (spec.path !== undefined) return { name, path: spec.path };
  throw new RefciError('invalid-config', `master ${name} of pipeline ${pipeline} is a url master that this job did not mirror`, `run the job on a worker of this version, which mirrors pipelines.${pipeline}.masters.${name}.url`);
}

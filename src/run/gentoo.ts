import fs from 'node:fs';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { RefciError } from '../errors.ts';
import { recordNamedMasters } from '../fleet/masters-gate.ts';
import { changedPaths, listPackages, packagesAmong, readCategoriesWithMasters, readInheritance, readLayoutMasters, readUpdateMoves } from '../gentoo/changed-paths.ts';
import { missingMasters, missingMastersLine } from '../gentoo/layout-conf.ts';
import { addedMoves } from '../gentoo/package-moves.ts';
import { addedVersions, computeScope, scanArgs, scopeNeeds, type Scope } from '../gentoo/scope.ts';
import { keepMetadataCache, metadataCacheOf, seedMetadataCache } from './metadata-cache.ts';
import type { BeforeSteps } from './pipeline.ts';

const MAX_RECORDED_REASONS = 200;

/**
 * The gentoo pipeline's scope: what the PR changes between its basis and the
 * merge, and so which packages, eclasses and repository-level checks to scan.
 * The eclass map comes from the metadata cache kept from an earlier job's
 * base regen (metadata-cache.ts) where its entries are current, and from the
 * inherit lines elsewhere (the cache is regenerated only by the steps that follow). The base tree is scanned with the
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
    const masters = named.map((name) => ({ name, path: configured![name].path }));
    const keptCache = metadataCacheOf(stateDir, job.repo);
    seedMetadataCache(keptCache, [trees.workdir, trees.basedir]);
    const changes = await changedPaths(trees.gitDir, trees.basis, trees.merged);
    const categories = await readCategoriesWithMasters(trees.workdir, masters);
    // The whole tree is read only when an eclass changed: its inheritors are then scanned.
    const needs = scopeNeeds(changes);
    const inheritance = needs.eclassMap ? await readInheritance(trees.workdir) : undefined;
    const scope = computeScope({
      changes,
      eclassesByPackage: inheritance?.map ?? new Map(),
      // Every folder with ebuilds, listed or not: a package in an unknown category is scanned and flagged.
      existingPackages: needs.eclassMap ? await listPackages(trees.workdir) : await packagesAmong(trees.workdir, needs.packages),
      categories,
      maxTargets: config.gentoo.maxTargets,
    });
    const inBase = (repoPath: string) => fs.existsSync(path.join(trees.basedir, repoPath));
    // A package the PR moves (profiles/updates) is scanned under its old name in
    // the base, so the collector can match its findings after renaming them.
    const moves = addedMoves(await readUpdateMoves(trees.basedir), await readUpdateMoves(trees.workdir));
    const movedFrom = moves.filter((m) => scope.targets.includes(m.to) && inBase(m.from)).map((m) => m.from);
    const baseScope: Scope = { ...scope, targets: [...new Set([...scope.targets.filter(inBase), ...movedFrom])].sort() };
    const merged = scanArgs(scope).map((run) => run.args);
    const base = scanArgs(baseScope, { pathExists: inBase }).map((run) => run.args);
    const pipeline = config.pipelines[job.pipeline];
    return {
      values: {},
      scans: { merged, base },
      after: async (steps) => keepMetadataCache(keptCache, trees.basedir, pipeline, steps),
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
        // Findings of these versions that the base has at another version are "carried over".
        addedVersions: addedVersions(changes),
        inheritance: inheritance
          ? { fromCache: inheritance.fromCache, fromLines: inheritance.fromLines.length, fromLinesFirst: inheritance.fromLines.slice(0, 20) }
          : { notRead: 'no eclass changed' },
      },
    };
  };
}

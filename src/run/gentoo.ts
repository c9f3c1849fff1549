import fs from 'node:fs';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { changedPaths, listPackages, readCategories, readInheritMap } from '../gentoo/changed-paths.ts';
import { computeScope, scanArgs, type Scope } from '../gentoo/scope.ts';
import type { BeforeSteps } from './pipeline.ts';

const MAX_RECORDED_REASONS = 200;

/**
 * The gentoo pipeline's scope: what the PR changes between its basis and the
 * merge, and so which packages, eclasses and repository-level checks to scan.
 * The eclass map comes from the inherit lines, because the metadata cache is
 * regenerated only by the steps that follow. The base tree is scanned with the
 * same targets, less those it does not have (a new package or eclass), so
 * both scans run with the same options and versions on the same packages.
 */
export function gentooBeforeSteps(config: FleetConfig): BeforeSteps {
  return async (_job, trees) => {
    const changes = await changedPaths(trees.workdir, trees.basis, trees.merged);
    const categories = await readCategories(trees.workdir);
    const scope = computeScope({
      changes,
      eclassesByPackage: await readInheritMap(trees.workdir, categories),
      existingPackages: await listPackages(trees.workdir, categories),
      categories,
      maxTargets: config.gentoo.maxTargets,
    });
    const inBase = (repoPath: string) => fs.existsSync(path.join(trees.basedir, repoPath));
    const baseScope: Scope = { ...scope, targets: scope.targets.filter(inBase) };
    const merged = scanArgs(scope).map((run) => run.args);
    const base = scanArgs(baseScope, { pathExists: inBase }).map((run) => run.args);
    return {
      values: {},
      scans: { merged, base },
      details: {
        scope: {
          mode: scope.mode,
          targets: scope.targets,
          eclasses: scope.eclasses,
          repoLevel: scope.repoLevel,
          deleted: scope.deleted,
          reasons: scope.reasons.slice(0, MAX_RECORDED_REASONS),
        },
        scans: { merged, base },
      },
    };
  };
}

import fs from 'node:fs';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { gentooBeforeSteps } from './gentoo.ts';
import type { BeforeSteps, StepWrapper } from './pipeline.ts';
import { sandboxArgv } from '../host/sandbox.ts';
import { sandboxProbe } from './sandbox-probe.ts';
import { isRepositoryFolder, masterPaths, sandboxReadable } from '../host/sandbox-view.ts';
import { portageConfigDirs } from './portage-config.ts';
import type { PreparedTrees } from './workspace.ts';

export interface WorkerHooks {
  beforeSteps: Partial<Record<string, BeforeSteps>>;
  wrap: StepWrapper;
}

/**
 * What each pipeline kind adds to the generic steps runner on a worker, and
 * the sandbox every step marked `sandbox` runs in: the step may write its own
 * tree (the merged one, or the base for a `tree: base` step) and a cache
 * folder of its own, nothing else; the other tree is not there at all, so PR code in the
 * merged tree cannot touch the baseline it is judged against. It reads the
 * system folders, the tool installation (PATH, a venv), the configured master
 * repositories and the folders the host adds with REFCI_SANDBOX_PATHS.
 */
export async function workerHooks(config: FleetConfig, stateDir: string, env: NodeJS.ProcessEnv = process.env): Promise<WorkerHooks> {
  const probe = config.sandbox === 'off' ? { available: false, userns: false, reason: 'sandbox off in the configuration' } : await sandboxProbe(stateDir, env);
  const readable = sandboxReadable(masterPaths(config), env);
  const wrap: StepWrapper = (argv, step, trees) => {
    if (!step.sandbox) return { argv, sandboxed: false };
    const tree = step.tree ?? 'merged';
    // A cache of each step's own: regen runs the PR's ebuild code, and a cache it shared with the
    // scan after it would reach into that scan (pkgcheck loads pickles from its cache folder).
    const cacheDir = path.join(trees.caches[tree], step.name);
    fs.mkdirSync(cacheDir, { recursive: true });
    const wrapped = sandboxArgv(argv, {
      mode: config.sandbox,
      probe,
      writable: [tree === 'base' ? trees.basedir : trees.workdir],
      // This job's mirrored masters and the tree's own repos.conf folder, read-only at the paths repos.conf names.
      readable: [...readable, ...jobReadable(trees, tree), ...toolDir(argv[0])],
      cacheDir,
      uid: config.sandboxUid,
      gid: config.sandboxUid,
      limits: config.sandboxLimits,
      // The environment is cleared inside the sandbox: the step's own variables are set there.
      setenv: step.env,
      env,
    });
    return { argv: wrapped.argv, sandboxed: wrapped.sandboxed };
  };
  return { beforeSteps: { gentoo: gentooBeforeSteps(config, stateDir) }, wrap };
}

/** The folders of one job a step of `tree` reads: the masters it mirrored (repositories only) and that tree's portage configuration. */
function jobReadable(trees: PreparedTrees, tree: 'merged' | 'base'): string[] {
  const masters = (trees.masters ?? []).filter((m) => m.commit !== undefined).map((m) => m.path).filter(isRepositoryFolder);
  const config = portageConfigDirs(trees.jobDir)[tree];
  return [...masters, ...(fs.existsSync(config) ? [config] : [])];
}

/** A step named by absolute path brings its own folder (a stand-in in a checkout). */
function toolDir(tool: string | undefined): string[] {
  return tool && path.isAbsolute(tool) ? [path.dirname(tool)] : [];
}

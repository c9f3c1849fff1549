import fs from 'node:fs';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { gentooBeforeSteps } from './gentoo.ts';
import type { BeforeSteps, StepWrapper } from './pipeline.ts';
import { detectSandbox, sandboxArgv } from '../host/sandbox.ts';

export interface WorkerHooks {
  beforeSteps: Partial<Record<string, BeforeSteps>>;
  wrap: StepWrapper;
}

/**
 * What each pipeline kind adds to the generic steps runner on a worker, and
 * the sandbox every step marked `sandbox` runs in: the step may write its two
 * work trees and a cache folder in the worker's state, nothing else.
 */
/**
 * The private /tmp hides a tool installed below it (a stand-in in a checkout
 * under /tmp); its folder, never /tmp itself, is bound again read-only.
 */
function hiddenToolDir(tool: string): string[] {
  const dir = path.dirname(tool);
  return path.isAbsolute(tool) && dir.startsWith('/tmp/') ? [dir] : [];
}

export async function workerHooks(config: FleetConfig, stateDir: string, env: NodeJS.ProcessEnv = process.env): Promise<WorkerHooks> {
  const probe = config.sandbox === 'off' ? { available: false, userns: false, reason: 'sandbox off in the configuration' } : await detectSandbox({ path: env.PATH ?? '' });
  const cacheDir = path.join(stateDir, 'tool-cache');
  fs.mkdirSync(cacheDir, { recursive: true });
  const wrap: StepWrapper = (argv, step, trees) => {
    if (!step.sandbox) return { argv, sandboxed: false };
    const wrapped = sandboxArgv(argv, {
      mode: config.sandbox,
      probe,
      writable: [trees.workdir, trees.basedir],
      readable: hiddenToolDir(argv[0]),
      cacheDir,
      uid: config.sandboxUid,
      gid: config.sandboxUid,
      // The environment is cleared inside the sandbox: the step's own variables are set there.
      setenv: step.env,
    });
    return { argv: wrapped.argv, sandboxed: wrapped.sandboxed };
  };
  return { beforeSteps: { gentoo: gentooBeforeSteps(config, stateDir) }, wrap };
}

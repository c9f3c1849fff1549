import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { packageRoot } from '../host/package-root.ts';

/** The executable stand-ins for pkgcheck and pmaint that print pkgcheck's real formats (src/demo/bin). */
export function standInDir(): string {
  return path.join(packageRoot(), 'src', 'demo', 'bin');
}

/**
 * A configuration whose gentoo pipeline runs the stand-ins by absolute path.
 * They are chosen explicitly, never found on PATH, so a host with the real
 * tools installed still runs the real ones everywhere else.
 */
export function withStandIns(config: FleetConfig, dir = standInDir()): FleetConfig {
  const swap = (argv: string[]) => (argv[0] === 'pkgcheck' || argv[0] === 'pmaint' ? [path.join(dir, argv[0]), ...argv.slice(1)] : argv);
  const pipelines = Object.fromEntries(
    Object.entries(config.pipelines).map(([name, pipeline]) => [name, { ...pipeline, steps: pipeline.steps.map((step) => ({ ...step, run: swap(step.run) })) }]),
  );
  const tools = Object.fromEntries(Object.entries(config.tools).map(([name, tool]) => [name, { ...tool, versionCommand: swap(tool.versionCommand) }]));
  return { ...config, pipelines, tools };
}

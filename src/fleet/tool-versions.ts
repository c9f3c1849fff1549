import { execa } from 'execa';
import type { FleetConfig } from '../config/types.ts';
import { processEnd, processStart } from '../git/observe.ts';

/**
 * Asks each named tool for its version (first line of `versionCommand`'s
 * output). A tool that is missing reports "missing" rather than failing the
 * worker: the pipelines that need it are then not claimed (see readiness).
 */
export async function toolVersions(config: FleetConfig, names: Iterable<string>, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of new Set(names)) {
    const tool = config.tools[name];
    if (!tool) continue;
    const started = processStart();
    const out = await execa(tool.versionCommand[0], tool.versionCommand.slice(1), { reject: false, timeout: 30_000, stdin: 'ignore', env, extendEnv: false });
    processEnd(`probe:${name}`, started);
    const line = `${out.stdout ?? ''}`.split('\n')[0].trim() || `${out.stderr ?? ''}`.split('\n')[0].trim();
    versions[name] = out.exitCode === 0 && line ? line.slice(0, 200) : 'missing';
  }
  return versions;
}

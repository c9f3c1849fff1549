import fs from 'node:fs';
import { RefciError } from '../errors.ts';
import { defaultConfig } from './defaults.ts';
import type { FleetConfig } from './types.ts';

/** Overlays a JSON configuration on the defaults: top-level fields replace, pipelines and tools merge by name. */
export function mergeConfig(base: FleetConfig, overlay: Partial<FleetConfig>): FleetConfig {
  return {
    ...base,
    ...overlay,
    pipelines: { ...base.pipelines, ...overlay.pipelines },
    tools: { ...base.tools, ...overlay.tools },
    gentoo: { ...base.gentoo, ...overlay.gentoo },
  };
}

export function loadConfigFile(file: string | undefined): FleetConfig {
  if (!file) return defaultConfig();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RefciError('invalid-input', `cannot read configuration ${file}: ${(error as NodeJS.ErrnoException).code}`, 'check the --config path');
  }
  try {
    return mergeConfig(defaultConfig(), JSON.parse(text));
  } catch (error) {
    throw new RefciError('invalid-config', `configuration ${file} is not valid JSON: ${(error as Error).message}`, 'fix the file');
  }
}

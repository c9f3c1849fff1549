import { fleetConfigSchema } from './schema.ts';
import type { FleetConfig } from './types.ts';

/**
 * Working defaults: `refci init` writes these to the configuration branch and
 * a host without any configuration runs on them. Every value comes from the
 * schema's defaults (schema.ts, default-pipelines.ts).
 */
export function defaultConfig(): FleetConfig {
  return structuredClone(fleetConfigSchema.parse({})) as FleetConfig;
}

import type { FleetConfig } from '../config/types.ts';
import type { Decider } from './verdict.ts';

/** Deciders by pipeline kind; kinds without one use the pipeline's own status. */
export function deciders(_config: FleetConfig): Partial<Record<string, Decider>> {
  return {};
}

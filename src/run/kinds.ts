import type { FleetConfig } from '../config/types.ts';
import type { BeforeSteps, StepWrapper } from './pipeline.ts';

/** What each pipeline kind adds to the generic steps runner on a worker. */
export function workerHooks(_config: FleetConfig): { beforeSteps?: Partial<Record<string, BeforeSteps>>; wrap?: StepWrapper } {
  return {};
}

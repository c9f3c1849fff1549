import type { FleetConfig } from '../config/types.ts';
import { ConfigSource } from '../coord/config-source.ts';
import { CONFIG_REFSPEC } from '../protocol/refs.ts';
import { openClone, type HostContext } from './context.ts';

/**
 * The configuration a one-shot command starts from: the configuration branch
 * of the coordination repository (a refused commit leaves the last valid one,
 * as on every host).
 */
export async function branchConfig(context: HostContext, log: (line: string) => void): Promise<FleetConfig> {
  const clone = await openClone(context);
  await clone.fetch([CONFIG_REFSPEC]);
  return (await new ConfigSource(context.stateDir, log).refresh(clone)).config;
}

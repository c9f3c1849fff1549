import path from 'node:path';
import { CoordClone } from '../coord/clone.ts';
import { systemClock, type Clock } from '../host/clock.ts';
import { defaultWorkerId, stateDirFor } from '../host/state-dir.ts';
import { required, type Io } from './command.ts';

/** Shared flags of commands that talk to a coordination repository. */
export const coordOptions = {
  coord: { type: 'string' },
  'state-dir': { type: 'string' },
} as const;

export const coordHelp = [
  '--coord URL         the coordination repository (path, file://, ssh, https or git://)',
  '--state-dir DIR     where this host keeps its clone (default ~/.cache/refci/...; REFCI_STATE_DIR moves it)',
];

export interface HostContext {
  coord: string;
  stateDir: string;
  clock: Clock;
  id: string;
  /** The command's environment (its Io's), for everything below it that reads a variable or starts a program. */
  env: NodeJS.ProcessEnv;
}

export function hostContext(flags: Record<string, unknown>, io: Pick<Io, 'env'>, command: string, role: string, id = defaultWorkerId()): HostContext {
  const coord = required(flags, 'coord', command);
  const stateDir = typeof flags['state-dir'] === 'string' ? flags['state-dir'] : stateDirFor(role, coord, id, io.env);
  return { coord, stateDir, clock: systemClock, id, env: io.env };
}

export async function openClone(context: HostContext): Promise<CoordClone> {
  return CoordClone.open(path.join(context.stateDir, 'coord.git'), context.coord);
}

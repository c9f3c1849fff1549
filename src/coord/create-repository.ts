import { initBare } from '../git/init.ts';
import type { Clock } from '../host/clock.ts';
import { initConfigBranch } from './config-branch.ts';

/**
 * Creates a bare coordination repository with the working defaults on the
 * configuration branch. Job refs are deleted when archived, but every update
 * is a fast-forward: history is never rewritten; reflogs keep what happened.
 * Returns the configuration commit.
 */
export async function createCoordRepository(target: string, by: string, clock: Clock): Promise<string> {
  await initBare(target, {
    'receive.denyDeletes': 'false',
    'receive.denyNonFastForwards': 'true',
    'core.logAllRefUpdates': 'true',
  });
  return initConfigBranch(target, by, clock);
}

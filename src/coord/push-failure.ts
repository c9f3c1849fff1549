import type { PushResult } from '../git/push.ts';
import { RefciError } from '../errors.ts';

/**
 * The error for a push that failed without losing a race: the repository's
 * hook or access control refused it, or it could not be reached. Never
 * reported as a conflict ("run again"): running again does the same.
 */
export function pushFailure(what: string, pushed: PushResult): RefciError {
  return new RefciError(
    'git',
    `${what} was not pushed: ${pushed.cause}`,
    'a "refci: refused" reason is the coordination repository\'s rule for this host\'s key (docs/protocol.md, Authorisation); otherwise check that the repository is reachable (refci doctor)',
  );
}

import type { PushResult } from '../git/push.ts';
import { RefciError } from '../errors.ts';
import type { Landed } from './push-landed.ts';

/**
 * The error for a push that failed without losing a race: the repository's
 * hook or access control refused it, or it could not be reached. Never
 * reported as a conflict ("run again"): running again does the same. When
 * the connection broke mid-push and the repository could not be asked
 * afterwards (`landed` unknown, push-landed.ts), the message says the push
 * may have landed instead of claiming it did not.
 */
export function pushFailure(what: string, pushed: PushResult, landed: Exclude<Landed, 'all'> = 'none'): RefciError {
  if (landed === 'unknown') {
    return new RefciError(
      'git',
      `${what} may or may not have reached the coordination repository: ${pushed.cause}; it cannot be asked which now`,
      'run the same command again once the repository is reachable (refci doctor checks it): what already landed is not done twice',
    );
  }
  if (landed === 'some') {
    return new RefciError('git', `${what} landed only in part: ${pushed.cause}`, 'refci status shows what the repository holds now; the repository should take atomic pushes whole (git 2.4 or later)');
  }
  return new RefciError(
    'git',
    `${what} was not pushed: ${pushed.cause}`,
    'a "refci: refused" reason is the coordination repository\'s rule for this host\'s key (docs/protocol.md, Authorisation); otherwise check that the repository is reachable (refci doctor)',
  );
}

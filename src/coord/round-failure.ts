import { isRefciError } from '../errors.ts';

/**
 * Why a daemon's round failed talking to the coordination repository (a
 * fetch or push that git could not finish: the network was cut, the server
 * went away, a call hung past its limit), or undefined for any other error.
 * A daemon logs the reason and tries again after its backoff instead of
 * exiting: an outage of the repository must not stop the fleet. A `--once`
 * run still fails, and its exit code tells cron.
 */
export function unreachableRound(error: unknown): string | undefined {
  return isRefciError(error) && error.code === 'git' ? error.oneLine() : undefined;
}

/**
 * The `log` object given to Octokit. Octokit's request log writes one line per HTTP answer that
 * is not a success (`GET /repos/o/r/pulls?page=2 - 304 with id … in 12ms`), also for a
 * `304 Not Modified` (the cheap, expected answer to a conditional request) and for every attempt
 * refci retries. refci turns the failures it does not handle into errors of its own that name the
 * request, so these lines are only noise under cron: they are dropped, with debug and info.
 * Other warnings (a deprecation) still reach the host's log.
 */
const REQUEST_LINE = /^[A-Z]+ \S+ - \d{3} with id \S+ in \d+ms$/;

export interface OctokitLog {
  debug: (message: string) => void;
  info: (message: string) => void;
  warn: (message: string) => void;
  error: (message: string) => void;
}

export function octokitLog(log: ((line: string) => void) | undefined): OctokitLog {
  const quiet = () => {};
  const pass = (message: unknown) => {
    const line = String(message);
    if (!REQUEST_LINE.test(line)) log?.(line);
  };
  return { debug: quiet, info: quiet, warn: pass, error: pass };
}

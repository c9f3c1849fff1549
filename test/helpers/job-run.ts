/**
 * What every in-process run of one job in the tests shares: worker `w`, its
 * first attempt, no tool versions, a signal nothing aborts, the real clock.
 * Spread it first and override what a test is about.
 */
export function jobRunDefaults() {
  return {
    worker: 'w',
    attempt: 1,
    tools: {} as Record<string, string>,
    signal: new AbortController().signal,
    now: Date.now,
    abortReason: () => 'stopped',
  };
}

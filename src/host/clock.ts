/** Time is an input: every component takes a clock, tests pass a manual one. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

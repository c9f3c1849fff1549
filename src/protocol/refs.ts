import { isValidJobId } from './ids.ts';

/**
 * Ref names of the coordination repository. Everything refci keeps live sits
 * under refs/ci/; a job's refs all end in its id so one id names one job.
 */
export const NAMESPACE = 'refs/ci';

export const LIVE_KINDS = ['jobs', 'locks', 'results', 'cancel'] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

export const HISTORY_REF = `${NAMESPACE}/history`;
export const CONFIG_REF = 'refs/heads/config';
export const WORKERS_PREFIX = `${NAMESPACE}/workers/`;
export const DRAIN_PREFIX = `${NAMESPACE}/drain/`;
export const DOCTOR_PREFIX = `${NAMESPACE}/doctor/`;

export function jobRef(id: string): string {
  return `${NAMESPACE}/jobs/${id}`;
}
export function lockRef(id: string): string {
  return `${NAMESPACE}/locks/${id}`;
}
export function resultRef(id: string): string {
  return `${NAMESPACE}/results/${id}`;
}
export function cancelRef(id: string): string {
  return `${NAMESPACE}/cancel/${id}`;
}
export function workerRef(workerId: string): string {
  return `${WORKERS_PREFIX}${workerId}`;
}
export function drainRef(workerId: string): string {
  return `${DRAIN_PREFIX}${workerId}`;
}

export function liveRefsOf(id: string): Record<LiveKind, string> {
  return { jobs: jobRef(id), locks: lockRef(id), results: resultRef(id), cancel: cancelRef(id) };
}

/** Splits `refs/ci/<kind>/<id>` into its parts; undefined for any other ref, and for an id that breaks the job id pattern. */
export function parseLiveRef(ref: string): { kind: LiveKind; id: string } | undefined {
  const match = /^refs\/ci\/(jobs|locks|results|cancel)\/(.+)$/.exec(ref);
  if (!match || !isValidJobId(match[2]!)) return undefined;
  return { kind: match[1] as LiveKind, id: match[2]! };
}

/** A ref under refs/ci/ that no host acts on, and why; `refci status` lists them for a person to delete. */
export interface IgnoredRef {
  ref: string;
  reason: string;
}

/**
 * Why a live-namespace ref is ignored, or undefined when it is a live ref to act on. Anyone with
 * push access can create refs such as `refs/ci/jobs/a/b` or point one at a blob; hosts skip them
 * instead of failing on them (a result pushed for `a/b` would fail, a blob has no parent to give).
 */
export function ignoredLiveRef(ref: string, type: string): string | undefined {
  const match = /^refs\/ci\/(jobs|locks|results|cancel)\/(.*)$/.exec(ref);
  if (!match) return undefined;
  if (!isValidJobId(match[2]!)) return `the id ${JSON.stringify(match[2])} does not match [A-Za-z0-9][A-Za-z0-9_-]{0,63}`;
  if (type !== 'commit') return `it points at a ${type}, not a commit`;
  return undefined;
}

/** The configuration branch alone (a pattern, as below). */
export const CONFIG_REFSPEC = `+${CONFIG_REF}*:${CONFIG_REF}*`;

/** The history branch alone (a pattern: fetching a single ref that does not exist is an error). */
export const HISTORY_REFSPEC = `+${HISTORY_REF}*:${HISTORY_REF}*`;

/**
 * Fetch refspecs for one job's live refs, for a host that watches one job
 * (`refci logs --follow`). Patterns, so that refs the job does not have yet
 * are no error; they also match the few ids that start with this one, which
 * the reader ignores.
 */
export function jobRefspecs(id: string): string[] {
  return LIVE_KINDS.map((kind) => `+${NAMESPACE}/${kind}/${id}*:${NAMESPACE}/${kind}/${id}*`);
}

/** Fetch refspecs that mirror the live namespace (and optionally history, presence, drain flags and the configuration branch) into a private clone. */
export function liveRefspecs(options: { history?: boolean; workers?: boolean; drain?: boolean; config?: boolean } = {}): string[] {
  const specs = LIVE_KINDS.map((kind) => `+${NAMESPACE}/${kind}/*:${NAMESPACE}/${kind}/*`);
  // A pattern, not the plain name: fetching a single ref that does not exist yet is an error.
  if (options.history) specs.push(HISTORY_REFSPEC);
  if (options.workers) specs.push(`+${WORKERS_PREFIX}*:${WORKERS_PREFIX}*`);
  if (options.drain) specs.push(`+${DRAIN_PREFIX}*:${DRAIN_PREFIX}*`);
  if (options.config) specs.push(CONFIG_REFSPEC);
  return specs;
}

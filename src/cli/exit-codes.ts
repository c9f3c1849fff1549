import type { ErrorCode } from '../errors.ts';

/** The one map from error codes to exit codes; the README lists the same table. */
export const EXIT_CODES: Record<ErrorCode | 'ok' | 'verdict-failure' | 'refused' | 'violations' | 'not-ready' | 'internal', number> = {
  ok: 0,
  'verdict-failure': 1,
  /** `refci hook pre-receive`: a ref of the push is refused (git then refuses the whole push). */
  refused: 1,
  /** `refci audit`: the coordination repository breaks an invariant of the queue (one line per violation). */
  violations: 1,
  usage: 2,
  'invalid-input': 3,
  'invalid-config': 3,
  git: 4,
  'not-found': 5,
  conflict: 6,
  tool: 7,
  forge: 8,
  /** `refci work`: this host can run none of the pipelines it serves (a tool missing or below its wanted version). */
  'not-ready': 9,
  internal: 70,
};

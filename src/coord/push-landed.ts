import type { PushResult, RefUpdate } from '../git/push.ts';
import type { CoordClone } from './clone.ts';

/**
 * Whether a push that failed without an answer for its refs (the connection
 * broke: a partition, a server that died) changed the repository anyway:
 * `all` its refs are as pushed, `none` is, `some` are (never, for the atomic
 * pushes refci makes), or `unknown` when the repository cannot be asked now.
 * A push the repository answered (a lost lease, a hook's refusal) did nothing
 * and is `none` without asking.
 */
export type Landed = 'all' | 'none' | 'some' | 'unknown';

export async function pushLanded(clone: CoordClone, updates: RefUpdate[], pushed: PushResult): Promise<Landed> {
  if (pushed.won) return 'all';
  if (pushed.outcome === 'refused' || [...pushed.refs.values()].some((ref) => ref.outcome === 'rejected')) return 'none';
  let tips: Map<string, string>;
  try {
    tips = await clone.remoteTips(updates.map((update) => update.ref));
  } catch {
    return 'unknown';
  }
  const done = updates.filter((update) => (update.newOid === null ? !tips.has(update.ref) : tips.get(update.ref) === update.newOid)).length;
  return done === updates.length ? 'all' : done === 0 ? 'none' : 'some';
}

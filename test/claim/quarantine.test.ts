import test from 'ava';
import { clearStreak, noteJobEnd, quarantineReason, readStreak } from '../../src/claim/quarantine.ts';
import { tempDir } from '../helpers/temp.ts';

test('host failures in a row quarantine at the limit; a job that ends on its merits ends the streak', (t) => {
  const state = tempDir(t);
  t.deepEqual(readStreak(state), { count: 0, reasons: [] });
  t.is(quarantineReason(noteJobEnd(state, 'disk full'), 3), undefined);
  t.is(quarantineReason(noteJobEnd(state, 'pmaint crashed'), 3), undefined);
  t.is(noteJobEnd(state, undefined).count, 0, 'a judged job resets');
  for (const reason of ['a', 'b', 'c']) noteJobEnd(state, reason);
  t.is(quarantineReason(readStreak(state), 3), 'quarantined: the last 3 jobs failed on this host, not because of their pull requests: c');
  t.is(quarantineReason(readStreak(state), 0), undefined, '0: never');
  for (const reason of ['d', 'e']) noteJobEnd(state, reason);
  t.deepEqual(readStreak(state).reasons, ['c', 'd', 'e'], 'only the latest reasons are kept');
  clearStreak(state);
  t.is(readStreak(state).count, 0);
});

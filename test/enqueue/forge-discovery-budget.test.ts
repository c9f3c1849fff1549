/**
 * Discovery within the write budget: "queued, position N" statuses for a long queue, against the
 * fake GitHub and a real coordination repository, on the fake forge's clock (it moves one second
 * per write; an hour is moved by hand).
 */
import test from 'ava';
import { positionBand } from '../../src/forge/queue-position.ts';
import type { RecordedRequest } from '../helpers/fake-forge.ts';
import { forgeCoord, type ForgeCoord } from '../helpers/forge-coord.ts';
import { ManualClock } from '../helpers/temp.ts';

const positionOf = (description: string | null) => Number(/position (\d+)/.exec(description ?? '')?.[1]);

/** The statuses posted since `from`, as [pull request, position]. */
function postedSince(f: ForgeCoord, from: number): Array<[number, number]> {
  const prOfHead = new Map([...f.fake.pulls.values()].map((pull) => [pull.headSha, pull.number]));
  return f.fake.statuses.slice(from).map((status) => [prOfHead.get(status.sha)!, positionOf(status.description)]);
}

test.serial('30 queued pull requests: each poll posts positions within the hour\'s budget, once per pull request, only when a step is crossed, a second apart', async (t) => {
  // The forge client has a clock of its own, moved only by its waits: the fake forge's moves by itself at each write.
  const clientClock = new ManualClock(Date.parse('2025-03-01T10:00:00Z'));
  const f = await forgeCoord(t, 'github', { retry: { now: () => clientClock.now(), sleep: async (ms) => clientClock.advance(ms) } });
  const sentAt = new Map<RecordedRequest, number>();
  f.fake.onRequest = (request) => sentAt.set(request, clientClock.now());
  for (let i = 0; i < 30; i++) f.fake.openPull();
  const options = { queuedStatuses: 30, writeBudget: { writesPerHour: 100, progressPerHour: 10 } };
  const last = new Map<number, number>();
  const check = (posted: Array<[number, number]>) => {
    const prs = posted.map(([pr]) => pr);
    t.is(new Set(prs).size, prs.length, 'at most one status per pull request and poll');
    for (const [pr, position] of posted) {
      const before = last.get(pr);
      t.true(before === undefined || positionBand(before) !== positionBand(position), `PR #${pr}: ${before} -> ${position} crosses no step`);
      last.set(pr, position);
    }
  };

  let mark = f.fake.statuses.length;
  const first = await f.poll(options);
  t.is(first.enqueued.length, 30);
  let posted = postedSince(f, mark);
  t.deepEqual(posted, Array.from({ length: 10 }, (_, i) => [i + 1, i + 1]), 'the ten nearest the front, within the progress budget');
  t.is(first.queuedStatuses, 10);
  t.is(first.positionsDeferred, 20);
  check(posted);

  // The same hour: nothing more, though twenty positions wait.
  mark = f.fake.statuses.length;
  t.is((await f.poll(options)).queuedStatuses, 0);
  t.deepEqual(postedSince(f, mark), []);

  // An hour later the next ten.
  f.fake.advance(3_600_000);
  mark = f.fake.statuses.length;
  await f.poll(options);
  posted = postedSince(f, mark);
  t.deepEqual(posted, Array.from({ length: 10 }, (_, i) => [i + 11, i + 11]));
  check(posted);

  // The queue moves: four pull requests close, every later job moves up four places. Only
  // crossings are posted, nearest the front first; never two for one pull request.
  for (let pr = 1; pr <= 4; pr++) f.fake.closePull(pr);
  f.fake.advance(3_600_000);
  mark = f.fake.statuses.length;
  const moved = await f.poll(options);
  t.is(moved.cancelled.length, 4);
  posted = postedSince(f, mark);
  check(posted);
  t.true(posted.length <= 10);
  t.deepEqual(posted.slice(0, 4), [[5, 1], [6, 2], [7, 3], [8, 4]], 'crossing 1, 2, 3 and 5');
  t.false(posted.some(([pr]) => pr === 10), '10 -> 6 stays between 5 and 10: not posted');

  // Every write a second or more after the one before, on the client's clock.
  const writes = f.fake.requests.filter((r) => r.method === 'POST').map((r) => sentAt.get(r)!);
  t.true(writes.length >= 25);
  for (let i = 1; i < writes.length; i++) t.true(writes[i]! - writes[i - 1]! >= 1000, `write ${i}: ${writes[i]! - writes[i - 1]!} ms after the one before`);

  // Over the whole test, no hour held more than the progress share.
  const times = f.fake.statuses.map((status) => Date.parse(status.createdAt));
  for (const start of times) t.true(times.filter((time) => time >= start && time < start + 3_600_000).length <= 10);
});

test.serial('noci skip statuses are verdicts: they go first, and wait for the next poll when the hour is spent', async (t) => {
  const f = await forgeCoord(t, 'github');
  f.fake.openPull();
  f.fake.openPull({ labels: ['noci'] });
  const first = await f.poll({ writeBudget: { writesPerHour: 1, progressPerHour: 1 } });
  t.deepEqual(first.skipped.map((s) => s.pr), [2], 'the skip is posted');
  t.is(first.queuedStatuses, 0, 'no room left for the position');
  f.fake.openPull({ labels: ['noci'] });
  const second = await f.poll({ writeBudget: { writesPerHour: 1, progressPerHour: 1 } });
  t.deepEqual(second.skipped, [], 'the hour is spent: the skip waits');
  f.fake.advance(3_600_000);
  const third = await f.poll({ writeBudget: { writesPerHour: 1, progressPerHour: 1 } });
  t.deepEqual(third.skipped.map((s) => s.pr), [3]);
});

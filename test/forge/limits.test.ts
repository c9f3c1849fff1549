/**
 * GitHub's limits, by design: writes at least a second apart on the client's clock, secondary
 * limits waited out, the hourly write budget and the rule for "queued, position N" updates.
 * The clients run against the fake forge with a manual clock of their own: nothing here sleeps.
 */
import test from 'ava';
import { RefciError } from '../../src/errors.ts';
import { WritePacer, isMutating } from '../../src/forge/pacer.ts';
import { planPositionUpdates, positionBand, positionMatters, postedPosition } from '../../src/forge/queue-position.ts';
import { classify, permanentRefusal } from '../../src/forge/retry.ts';
import { reportMarker } from '../../src/forge/text.ts';
import { emptyWriteLog, HOUR_MS, nextRoomAt, recordWrite, roomFor, writeBudgetLimits } from '../../src/forge/write-budget.ts';
import { sha, type RecordedRequest } from '../helpers/fake-forge.ts';
import { FLAVORS, harness } from '../helpers/fake-forge-client.ts';
import { ManualClock } from '../helpers/temp.ts';

/** A client whose clock is its own (the fake's moves by itself on each write): sleeping moves it. */
async function pacedHarness(flavor: (typeof FLAVORS)[number]) {
  const clock = new ManualClock(Date.parse('2025-03-01T10:00:00Z'));
  const sleeps: number[] = [];
  const h = await harness(flavor, {}, {
    retry: {
      now: () => clock.now(),
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
    },
  });
  // When each request reached the forge, on the client's clock.
  const sentAt = new Map<RecordedRequest, number>();
  h.fake.onRequest = (request) => sentAt.set(request, clock.now());
  const writes = () => h.fake.requests.filter((r) => isMutating(r.method)).map((r) => sentAt.get(r)!);
  return { ...h, clock, sleeps, sentAt, writes };
}

for (const flavor of FLAVORS) {
  test(`${flavor}: mutating requests are at least a second apart on the client's clock; reads are not held back`, async (t) => {
    const h = await pacedHarness(flavor);
    t.teardown(() => h.fake.close());
    const pull = h.fake.openPull();
    for (let i = 0; i < 4; i++) await h.forge.setStatus(pull.headSha, { state: 'pending', context: 'c', description: `queued, position ${4 - i}` });
    h.clock.advance(300); // some work between two writes: only the rest of the second is waited
    await h.forge.upsertComment(1, reportMarker('c'), 'first');
    await h.forge.upsertComment(1, reportMarker('c'), 'second');
    await h.forge.postComment(1, 'notice');
    const writes = h.writes();
    t.is(writes.length, 7);
    for (let i = 1; i < writes.length; i++) t.true(writes[i]! - writes[i - 1]! >= 1000, `write ${i} came ${writes[i]! - writes[i - 1]!} ms after the one before`);
    t.true(h.sleeps.includes(700), 'only what is left of the second is waited');
    // The reads of upsertComment (the comment list) went out without waiting for the gap.
    const firstRead = h.fake.requests.findIndex((r) => r.method === 'GET');
    t.true(firstRead > 0);
    t.is(h.sentAt.get(h.fake.requests[firstRead]!)! - h.sentAt.get(h.fake.requests[firstRead - 1]!)!, 300, 'the read right after a write did not wait');
  });

  test(`${flavor}: a 403 secondary rate limit with retry-after on a write is waited out and the write retried`, async (t) => {
    const h = await pacedHarness(flavor);
    t.teardown(() => h.fake.close());
    const pull = h.fake.openPull();
    h.fake.script({
      method: 'POST',
      path: /\/statuses\//,
      status: 403,
      headers: { 'retry-after': '45' },
      body: { message: 'You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later.' },
    });
    const before = h.clock.now();
    await h.forge.setStatus(pull.headSha, { state: 'success', context: 'c', description: 'no new errors' });
    t.deepEqual(h.sleeps, [45_000], 'the wait the forge asked for, no more');
    const posts = h.fake.requestsTo('POST', /\/statuses\//);
    t.deepEqual(posts.map((r) => r.status), [403, 201]);
    t.is(h.sentAt.get(posts[1]!)! - before, 45_000);
    t.is(h.fake.statuses.length, 1);
    t.true(h.logs.some((line) => /rate limit reached for POST .*waiting 45s/.test(line)), h.logs.join('\n'));
  });
}

test('the pacer queues concurrent writes and spaces them by the gap', async (t) => {
  const clock = new ManualClock(0);
  const pacer = new WritePacer(1000, { now: () => clock.now(), sleep: async (ms) => clock.advance(ms) });
  const sent: number[] = [];
  await Promise.all([1, 2, 3].map(() => pacer.pace(async () => sent.push(clock.now()))));
  t.deepEqual(sent, [0, 1000, 2000]);
  // A failed write still counts: the next one waits its turn.
  await t.throwsAsync(pacer.pace(async () => {
    sent.push(clock.now());
    throw new Error('refused');
  }));
  await pacer.pace(async () => sent.push(clock.now()));
  t.deepEqual(sent, [0, 1000, 2000, 3000, 4000]);
  t.true(isMutating('patch') && isMutating('DELETE') && !isMutating('GET'));
});

test('the retry policy answers what GitHub documents, as plugin-throttling and plugin-retry would', (t) => {
  const now = Date.parse('2025-03-01T10:00:00Z');
  // Primary limit spent: wait for x-ratelimit-reset.
  t.like(classify({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 120) }, message: 'API rate limit exceeded' }, now), { kind: 'rate-limit', waitMs: 121_000 });
  // Secondary limit with retry-after (403 or 429): wait that long.
  t.like(classify({ status: 403, headers: { 'retry-after': '60' }, message: 'You have exceeded a secondary rate limit' }, now), { kind: 'rate-limit', waitMs: 60_000 });
  t.like(classify({ status: 429, headers: { 'retry-after': '5' }, message: '' }, now), { kind: 'rate-limit', waitMs: 5_000 });
  // Secondary limit without headers: at least a minute.
  t.like(classify({ status: 403, headers: {}, message: 'You have exceeded a secondary rate limit' }, now), { kind: 'rate-limit', waitMs: 60_000 });
  // 5xx and no answer: retried with backoff; other 4xx: not retried.
  t.like(classify({ status: 502, headers: {}, message: '' }, now), { kind: 'server' });
  t.like(classify({ status: 0, headers: {}, message: 'ECONNRESET' }, now), { kind: 'server' });
  for (const status of [400, 403, 404, 422]) t.like(classify({ status, headers: {}, message: 'Validation Failed' }, now), { kind: 'fatal' });
});

test('permanentRefusal: 403, 404 and 422 are for good; the token, timeouts and rate limits are not', (t) => {
  const error = (status: number, details: Record<string, unknown> = {}) => new RefciError('forge', `answered ${status}`, undefined, { status, ...details });
  t.is(permanentRefusal(error(422)), 422);
  t.is(permanentRefusal(error(404)), 404);
  t.is(permanentRefusal(new RefciError('not-found', 'gone', undefined, { status: 404 })), 404);
  t.is(permanentRefusal(error(403)), 403);
  t.is(permanentRefusal(error(403, { retryAt: '2025-03-01T11:00:00.000Z' })), undefined, 'a rate limit that lasts too long to wait');
  for (const status of [401, 408, 429, 500, 502]) t.is(permanentRefusal(error(status)), undefined, String(status));
  t.is(permanentRefusal(new Error('no status')), undefined);
  t.is(permanentRefusal(new RefciError('forge', 'network')), undefined);
});

test('write budget: verdicts up to the hourly total, progress only within its share; an hour later the room is back', (t) => {
  const limits = writeBudgetLimits({ writesPerHour: 5, progressPerHour: 2 });
  const log = emptyWriteLog();
  const t0 = Date.parse('2025-03-01T10:00:00Z');
  t.is(roomFor('progress', log, limits, t0), 2);
  recordWrite(log, 'progress', t0);
  recordWrite(log, 'progress', t0 + 1000);
  t.is(roomFor('progress', log, limits, t0 + 2000), 0, 'the progress share is spent');
  t.is(roomFor('verdict', log, limits, t0 + 2000), 3, 'verdicts keep the rest');
  t.is(nextRoomAt('progress', log, limits, t0 + 2000), t0 + HOUR_MS);
  recordWrite(log, 'verdict', t0 + 3000, 3);
  t.is(roomFor('verdict', log, limits, t0 + 4000), 0);
  t.is(nextRoomAt('verdict', log, limits, t0 + 4000), t0 + HOUR_MS);
  t.is(roomFor('verdict', log, limits, t0 + HOUR_MS + 1), 1, 'the oldest write left the hour');
  t.is(roomFor('progress', log, limits, t0 + HOUR_MS + 1001), 2);
  // Defaults stay well under GitHub's 500 an hour; progress can never exceed the whole.
  t.deepEqual(writeBudgetLimits(), { writesPerHour: 300, progressPerHour: 60 });
  t.deepEqual(writeBudgetLimits({ writesPerHour: 10, progressPerHour: 50 }), { writesPerHour: 10, progressPerHour: 10 });
  // A damaged log is read as empty, not as a crash.
  const damaged = { writes: [[t0, 'verdict'], 'x', [null, 'progress'], [t0, 'other']] } as never;
  t.is(roomFor('verdict', damaged, limits, t0 + 1), 4);
});

test('position updates: only when a step that matters is crossed, once per pull request, nearest the front first, within the room', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 10, 11, 20, 21, 50, 51, 5000].map(positionBand), [0, 1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 11]);
  t.true(positionMatters(undefined, 30), 'the first position is always posted');
  t.false(positionMatters(30, 21));
  t.true(positionMatters(21, 20), 'crossing 20');
  t.false(positionMatters(9, 6));
  t.true(positionMatters(6, 5));
  t.true(positionMatters(2, 1));
  t.true(positionMatters(4, 7), 'moving back over a step is news too');
  t.is(postedPosition('queued, position 12'), 12);
  t.is(postedPosition(undefined), undefined);

  const entry = (jobId: string, pr: number, position: number) => ({ jobId, pr, head: sha(jobId), position });
  const queue = [entry('a', 1, 1), entry('b', 2, 2), entry('b2', 2, 3), entry('c', 3, 4), entry('d', 4, 7), entry('e', 5, 12)];
  const posted = { a: 2, b: 3, c: 4, d: 12, e: 13 };
  const plan = planPositionUpdates(queue, posted, 2);
  t.deepEqual(plan.post.map((e) => e.jobId), ['a', 'b'], 'a crossed 1, b crossed 2; c did not move, b2 is the same pull request as b');
  t.deepEqual(plan.deferred.map((e) => e.jobId), ['d'], 'd crossed 10 but there was no room; e did not cross 20');
  t.deepEqual(planPositionUpdates(queue, {}, 100).post.map((e) => e.pr), [1, 2, 3, 4, 5], 'never two for one pull request');
});

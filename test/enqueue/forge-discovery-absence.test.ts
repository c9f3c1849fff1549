/**
 * Absence is not closure: the open list is read page by page, and a pull request closed between
 * two page reads shifts the later pages so that an open one is never seen. Its job must not be
 * cancelled as "closed", nor get a red status.
 */
import test from 'ava';
import { forgeCoord } from '../helpers/forge-coord.ts';
import { FLAVORS } from '../helpers/fake-forge-client.ts';

for (const flavor of FLAVORS) {
  test(`${flavor}: 250 open pull requests, one closed between two page reads: never a wrong cancel`, async (t) => {
    const f = await forgeCoord(t, flavor);
    for (let i = 0; i < 250; i++) f.fake.openPull();
    const first = await f.poll({ queuedStatuses: 0 });
    t.is(first.enqueued.length, 250);

    // #5 closes once page 1 has been read: every later page slides by one, and the first pull
    // request of page 2 as it was (#101 on GitHub's pages of 100, #51 on Forgejo's of 50) is read by no page.
    let closedMidWalk = false;
    f.fake.onRequest = (r) => {
      if (!closedMidWalk && r.path === '/repos/gentoo/gentoo/pulls' && r.query.page === '2') {
        f.fake.closePull(5);
        closedMidWalk = true;
      }
    };
    const second = await f.poll({ queuedStatuses: 0 });
    t.true(closedMidWalk);
    t.deepEqual(second.cancelled, [], 'neither the unseen open pull request nor #5 (seen open on page 1) is cancelled');
    t.deepEqual(second.enqueued, []);
    const statuses = f.fake.statuses.filter((s) => s.state !== 'pending');
    t.deepEqual(statuses, [], 'no status on any pull request');

    // The next walk is steady: #5 is missing, GET /pulls/5 says closed, and only its job is cancelled.
    f.fake.onRequest = undefined;
    const third = await f.poll({ queuedStatuses: 0 });
    const five = first.enqueued.find((e) => e.pr === 5)!;
    t.deepEqual(third.cancelled, [{ id: five.id, reason: 'the pull request was closed' }]);
    t.is(f.fake.requestsTo('GET', '/repos/gentoo/gentoo/pulls/5').length, 1);
    const live = await f.live();
    t.is(live.filter((j) => j.state === 'queued').length, 249);
  });
}

test('github: a merged pull request missing from the list is cancelled as merged; an open one read alone is kept', async (t) => {
  const f = await forgeCoord(t, 'github');
  f.fake.openPull();
  f.fake.openPull();
  const [one, two] = (await f.poll({ queuedStatuses: 0 })).enqueued;
  f.fake.closePull(1, true);
  // #2 is open but the list (scripted) forgets it, as a shifted page would.
  f.fake.script({ method: 'GET', path: '/repos/gentoo/gentoo/pulls', status: 200, body: [] });
  const outcome = await f.poll({ queuedStatuses: 0 });
  t.deepEqual(outcome.cancelled, [{ id: one!.id, reason: 'the pull request was merged' }]);
  t.deepEqual(outcome.enqueued, []);
  t.true((await f.live()).some((j) => j.id === two!.id && j.state === 'queued'));
});

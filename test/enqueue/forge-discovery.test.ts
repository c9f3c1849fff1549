/**
 * Discovery polls against the fake forge and a real coordination repository.
 * Serial: the GitHub and Forgejo runs of a test at once, on a loaded machine,
 * made the GitHub ones fail now and then (seen under CI load, never alone).
 */
import test from 'ava';
import { FolderPublisher } from '../../src/collect/publisher.ts';
import { FLAVORS } from '../helpers/fake-forge-client.ts';
import { forgeCoord } from '../helpers/forge-coord.ts';

for (const flavor of FLAVORS) {
  test.serial(`${flavor}: a new pull request becomes one job with a queued status; an unchanged poll does nothing`, async (t) => {
    const f = await forgeCoord(t, flavor);
    const pull = f.fake.openPull({ author: 'alice' });

    const first = await f.poll();
    t.is(first.enqueued.length, 1);
    const [entry] = first.enqueued;
    const job = f.readJson(`refs/ci/jobs/${entry!.id}`, 'job.json');
    t.like(job, {
      repo: `${f.fake.webUrl}/gentoo/gentoo.git`,
      base: pull.baseSha,
      baseRef: 'refs/heads/master',
      head: pull.headSha,
      headRef: 'refs/pull/1/head',
      pr: 1,
      pipeline: 'gentoo',
      priority: 0,
    });
    t.regex(job.prUrl, /\/gentoo\/gentoo\/pulls?\/1$/);
    t.deepEqual(
      f.fake.statuses.map((s) => [s.sha, s.state, s.context, s.description]),
      [[pull.headSha, 'pending', 'gentoo-ci', 'queued, position 1']],
    );

    const requestsBefore = f.fake.requests.length;
    const budget = f.fake.rateLimit.remaining;
    const second = await f.poll();
    t.is(second.enqueued.length, 0);
    t.is(f.fake.statuses.length, 1, 'the same position is not posted again');
    const pulls = f.fake.requests.slice(requestsBefore).filter((r) => r.path === '/repos/gentoo/gentoo/pulls');
    t.is(pulls.length, 1);
    if (flavor === 'github') {
      t.is(pulls[0]!.status, 304, 'the unchanged list is asked for with its ETag');
      // The comment scan is the only request that costs rate limit.
      t.is(budget - f.fake.rateLimit.remaining, 1);
    }
  });

  test.serial(`${flavor}: a new head supersedes the queued job; a closed pull request's job is cancelled`, async (t) => {
    const f = await forgeCoord(t, flavor);
    f.fake.openPull();
    f.fake.openPull();
    const [one, two] = (await f.poll()).enqueued;
    const newHead = f.fake.pushHead(1);
    f.fake.closePull(2);

    const outcome = await f.poll();
    t.deepEqual(outcome.enqueued.map((e) => [e.pr, e.head, e.reason]), [[1, newHead, 'new head']]);
    t.deepEqual(outcome.cancelled.map((c) => c.id).sort(), [one!.id, two!.id].sort());
    const live = await f.live();
    const byId = new Map(live.map((j) => [j.id, j]));
    t.is(byId.get(one!.id)!.state, 'cancelled');
    t.regex(byId.get(one!.id)!.cancelReason!, /superseded by/);
    t.is(byId.get(two!.id)!.state, 'cancelled');
    t.is(byId.get(two!.id)!.cancelReason, 'the pull request was closed');
    t.is(byId.get(outcome.enqueued[0]!.id)!.state, 'queued');
  });

  test.serial(`${flavor}: noci skips with one success status per head and cancels a queued job`, async (t) => {
    const f = await forgeCoord(t, flavor);
    const skipped = f.fake.openPull({ labels: ['noci'] });
    f.fake.openPull();
    const first = await f.poll();
    t.deepEqual(first.enqueued.map((e) => e.pr), [2]);
    t.deepEqual(first.skipped, [{ pr: 1, head: skipped.headSha }]);
    const skipStatus = f.fake.statuses.find((s) => s.sha === skipped.headSha)!;
    t.is(skipStatus.state, 'success');
    t.is(skipStatus.description, 'skipped: the pull request has the noci label');
    await f.poll();
    t.is(f.fake.statuses.filter((s) => s.sha === skipped.headSha).length, 1, 'posted once per head');

    f.fake.addLabel(2, 'noci');
    const third = await f.poll();
    t.deepEqual(third.cancelled.map((c) => c.id), [first.enqueued[0]!.id]);
    t.is(third.cancelled[0]!.reason, 'the pull request has the noci label');
    t.deepEqual(third.skipped.map((s) => s.pr), [2]);

    f.fake.removeLabel(1, 'noci');
    const fourth = await f.poll();
    t.deepEqual(fourth.enqueued.map((e) => e.pr), [1]);
  });

  test.serial(`${flavor}: priority-ci goes ahead of the queue, and a label added later re-queues with the new priority`, async (t) => {
    const f = await forgeCoord(t, flavor);
    f.fake.openPull();
    f.fake.openPull({ labels: ['priority-ci'] });
    const first = await f.poll();
    t.deepEqual(first.enqueued.map((e) => [e.pr, e.priority]), [[2, 100], [1, 0]]);
    const positions = new Map(f.fake.statuses.map((s) => [s.sha, s.description]));
    t.is(positions.get(f.fake.pulls.get(2)!.headSha), 'queued, position 1');
    t.is(positions.get(f.fake.pulls.get(1)!.headSha), 'queued, position 2');

    f.fake.openPull();
    f.fake.addLabel(3, 'priority-ci');
    f.fake.addLabel(1, 'priority-ci');
    const second = await f.poll();
    t.deepEqual(second.enqueued.map((e) => [e.pr, e.priority, e.reason]).sort(), [[1, 100, 'priority label changed'], [3, 100, 'new pull request']]);
    t.deepEqual(second.cancelled.map((c) => c.id), [first.enqueued[1]!.id]);
    const queued = (await f.live()).filter((j) => j.state === 'queued').sort((a, b) => a.pr! - b.pr!);
    t.deepEqual(queued.map((j) => [j.pr, j.priority]), [[1, 100], [2, 100], [3, 100]]);
  });

  test.serial(`${flavor}: /recheck by the author or a collaborator re-runs a finished head; a stranger's is ignored`, async (t) => {
    const f = await forgeCoord(t, flavor);
    const pull = f.fake.openPull({ author: 'alice' });
    f.fake.addComment(1, 'alice', '/recheck before the first poll does not count');
    f.fake.advance(1000);
    const [job] = (await f.poll()).enqueued;
    await f.finish(job!.id);
    t.is(await f.collect([new FolderPublisher(`${f.dir}/reports`)]), 1);
    t.is((await f.poll()).enqueued.length, 0, 'a finished head is not run again');

    f.fake.addComment(1, 'mallory', '/recheck');
    const stranger = await f.poll();
    t.is(stranger.enqueued.length, 0);
    t.deepEqual(stranger.ignored.map((i) => [i.user, i.reason]), [['mallory', 'neither the author nor someone with write access']]);

    f.fake.addComment(1, 'alice', 'Thanks!\n/recheck please');
    const author = await f.poll();
    t.is(author.enqueued.length, 1);
    t.is(author.enqueued[0]!.reason, '/recheck');
    t.not(author.enqueued[0]!.id, job!.id);
    const retried = (await f.live()).find((j) => j.id === author.enqueued[0]!.id)!;
    t.is(retried.head, pull.headSha);
    t.is(retried.retryOf, job!.id);

    f.fake.addComment(1, 'alice', '/recheck');
    t.is((await f.poll()).enqueued.length, 0, 'a job for the head is already queued');

    await f.finish(author.enqueued[0]!.id);
    await f.collect([]);
    f.fake.setPermission('carol', 'write');
    f.fake.addComment(1, 'carol', '/recheck');
    const collaborator = await f.poll();
    t.deepEqual(collaborator.enqueued.map((e) => e.reason), ['/recheck']);
    t.false([job!.id, author.enqueued[0]!.id].includes(collaborator.enqueued[0]!.id));
  });
}

test.serial('queued statuses: only the first N of the queue, refreshed when the position changes', async (t) => {
  const f = await forgeCoord(t, 'github');
  for (let i = 0; i < 4; i++) f.fake.openPull();
  const first = await f.poll({ queuedStatuses: 2 });
  t.is(first.enqueued.length, 4);
  t.deepEqual(f.fake.statuses.map((s) => s.description), ['queued, position 1', 'queued, position 2']);
  await f.finish(first.enqueued[0]!.id);
  await f.poll({ queuedStatuses: 2 });
  const after = f.fake.statuses.slice(2).map((s) => [s.sha, s.description]);
  t.deepEqual(after, [
    [f.fake.pulls.get(2)!.headSha, 'queued, position 1'],
    [f.fake.pulls.get(3)!.headSha, 'queued, position 2'],
  ]);
});

test.serial('a pull request whose repository URL no worker may fetch is left out with the reason; the others are enqueued', async (t) => {
  const f = await forgeCoord(t, 'github');
  f.fake.openPull({ author: 'mallory', baseCloneUrl: '--upload-pack=touch /tmp/pwned' });
  f.fake.openPull({ author: 'alice' });
  const lines: string[] = [];
  const outcome = await f.poll({ log: (line) => lines.push(line) });
  t.deepEqual(outcome.enqueued.map((e) => e.pr), [2]);
  t.true(lines.some((line) => /^PR #1: not enqueued: repository URL "--upload-pack=touch \/tmp\/pwned" must not start with -/.test(line)), lines.join('\n'));
});

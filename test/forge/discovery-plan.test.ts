import test from 'ava';
import {
  initialCursor,
  isRecheck,
  planDiscovery,
  recheckPermissionChecks,
  type DiscoveryInput,
  type KnownJob,
} from '../../src/forge/discovery-plan.ts';
import type { IssueComment, PullRequest } from '../../src/forge/types.ts';
import { FLAVORS, harness } from '../helpers/fake-forge-client.ts';

function pull(number: number, extra: Partial<PullRequest> = {}): PullRequest {
  return {
    number,
    url: `https://github.com/gentoo/gentoo/pull/${number}`,
    title: `pr ${number}`,
    state: 'open',
    merged: false,
    draft: false,
    headSha: `head${number}`.padEnd(40, '0'),
    headRef: `b${number}`,
    baseRef: 'master',
    baseSha: 'b'.repeat(40),
    author: `dev${number}`,
    labels: [],
    updatedAt: `2025-03-01T10:00:${String(number).padStart(2, '0')}Z`,
    cloneUrl: 'https://github.com/gentoo/gentoo.git',
    headCloneUrl: `https://github.com/dev${number}/gentoo.git`,
    pullRef: `refs/pull/${number}/head`,
    ...extra,
  };
}

let nextComment = 1;
function comment(pr: number, author: string, body: string, at = '2025-03-01T11:00:00Z', extra: Partial<IssueComment> = {}): IssueComment {
  const id = nextComment++;
  return { id, prNumber: pr, isPull: true, author, body, createdAt: at, updatedAt: at, url: `https://github.com/gentoo/gentoo/pull/${pr}#issuecomment-${id}`, ...extra };
}

function input(extra: Partial<DiscoveryInput>): DiscoveryInput {
  return {
    pulls: [],
    jobs: [],
    comments: [],
    cursor: initialCursor('2025-03-01T09:00:00Z'),
    botLogin: 'refci-bot',
    permissions: {},
    statusContext: 'refci',
    ...extra,
  };
}

const job = (jobId: string, pr: number, headSha: string, state: KnownJob['state'], priority?: KnownJob['priority']): KnownJob => ({ jobId, pr, headSha, state, ...(priority ? { priority } : {}) });

test('a new pull request is enqueued', (t) => {
  const plan = planDiscovery(input({ pulls: [pull(1)] }));
  t.is(plan.enqueue.length, 1);
  t.like(plan.enqueue[0], { reason: 'new-pr', priority: 'normal', supersedes: [] });
  t.is(plan.enqueue[0]!.pull.number, 1);
  t.deepEqual([plan.cancel, plan.skip, plan.ignored, plan.reprioritise], [[], [], [], []]);
});

test('a head already queued, running or finished is not enqueued again', (t) => {
  const p = pull(1);
  for (const state of ['queued', 'running', 'finished'] as const) {
    const plan = planDiscovery(input({ pulls: [p], jobs: [job('j1', 1, p.headSha, state)] }));
    t.deepEqual(plan.enqueue, [], state);
    t.deepEqual(plan.cancel, [], state);
  }
});

test('a head whose only job was cancelled is enqueued again', (t) => {
  const p = pull(1);
  const plan = planDiscovery(input({ pulls: [p], jobs: [job('j1', 1, p.headSha, 'cancelled')] }));
  t.is(plan.enqueue.length, 1);
  t.is(plan.enqueue[0]!.reason, 'new-pr');
});

test('a new head is enqueued and supersedes the older live job of that pull request', (t) => {
  const p = pull(1, { headSha: 'f'.repeat(40) });
  const plan = planDiscovery(input({ pulls: [p], jobs: [job('old-done', 1, 'a'.repeat(40), 'finished'), job('old-live', 1, 'e'.repeat(40), 'running')] }));
  t.like(plan.enqueue[0], { reason: 'new-head', supersedes: ['old-live'] });
  t.deepEqual(plan.cancel, [{ jobId: 'old-live', pr: 1, headSha: 'e'.repeat(40), reason: 'superseded' }]);
});

test('a stale live job is cancelled even when the head went back to one already tested', (t) => {
  const p = pull(1, { headSha: 'a'.repeat(40) });
  const plan = planDiscovery(input({ pulls: [p], jobs: [job('first', 1, 'a'.repeat(40), 'finished'), job('second', 1, 'e'.repeat(40), 'queued')] }));
  t.deepEqual(plan.enqueue, []);
  t.deepEqual(plan.cancel.map((c) => [c.jobId, c.reason]), [['second', 'superseded']]);
});

test('live jobs of a closed pull request are cancelled; finished ones are left alone', (t) => {
  const plan = planDiscovery(input({
    pulls: [pull(2), pull(1, { state: 'closed' })], // a closed one given by mistake is ignored
    jobs: [job('q', 1, 'x', 'queued'), job('r', 1, 'y', 'running'), job('f', 1, 'z', 'finished'), job('c', 3, 'w', 'cancelling')],
  }));
  t.deepEqual(plan.cancel.map((c) => [c.jobId, c.reason]), [['q', 'pr-closed'], ['r', 'pr-closed']]);
  t.deepEqual(plan.enqueue.map((e) => e.pull.number), [2]);
});

test('noci: no job, a success status saying why, once per head; live jobs are cancelled', (t) => {
  const p = pull(1, { labels: ['NoCI'] });
  const plan = planDiscovery(input({ pulls: [p], jobs: [job('live', 1, 'e'.repeat(40), 'queued')] }));
  t.deepEqual(plan.enqueue, []);
  t.deepEqual(plan.skip, [{ pr: 1, headSha: p.headSha, status: { state: 'success', context: 'refci', description: 'skipped: the pull request has the noci label' } }]);
  t.deepEqual(plan.cancel.map((c) => [c.jobId, c.reason]), [['live', 'noci']]);

  // Recorded as skipped: nothing more to do at the next poll.
  const again = planDiscovery(input({ pulls: [p], jobs: [job('skip', 1, p.headSha, 'skipped')] }));
  t.deepEqual([again.skip, again.enqueue, again.cancel], [[], [], []]);

  // Label removed: the head is tested.
  const unlabelled = planDiscovery(input({ pulls: [{ ...p, labels: [] }], jobs: [job('skip', 1, p.headSha, 'skipped')] }));
  t.is(unlabelled.enqueue.length, 1);
});

test('priority-ci goes first, the rest by oldest update first', (t) => {
  const pulls = [
    pull(5, { updatedAt: '2025-03-01T12:00:00Z' }),
    pull(3, { updatedAt: '2025-03-01T08:00:00Z' }),
    pull(9, { updatedAt: '2025-03-02T08:00:00Z', labels: ['priority-ci'] }),
    pull(4, { updatedAt: '2025-03-01T09:00:00Z' }),
    pull(2, { updatedAt: '2025-03-01T09:00:00Z' }),
  ];
  const plan = planDiscovery(input({ pulls }));
  t.deepEqual(plan.enqueue.map((e) => [e.pull.number, e.priority]), [[9, 'high'], [3, 'normal'], [2, 'normal'], [4, 'normal'], [5, 'normal']]);
});

test('a queued job whose priority label changed is re-prioritised', (t) => {
  const p = pull(1, { labels: ['priority-ci'] });
  const plan = planDiscovery(input({ pulls: [p], jobs: [job('j', 1, p.headSha, 'queued', 'normal')] }));
  t.deepEqual(plan.reprioritise, [{ jobId: 'j', pr: 1, priority: 'high' }]);
  t.deepEqual(planDiscovery(input({ pulls: [p], jobs: [job('j', 1, p.headSha, 'queued', 'high')] })).reprioritise, []);
});

test('labels can be renamed', (t) => {
  const plan = planDiscovery(input({ pulls: [pull(1, { labels: ['skip-ci'] }), pull(2, { labels: ['urgent'] })], labels: { skip: 'skip-ci', priority: 'urgent' } }));
  t.is(plan.skip[0]!.status.description, 'skipped: the pull request has the skip-ci label');
  t.like(plan.enqueue[0], { priority: 'high' });
});

test('/recheck by the author re-enqueues a finished head', (t) => {
  const p = pull(1);
  const c = comment(1, 'DEV1', 'the mirror was broken\n/recheck');
  const plan = planDiscovery(input({ pulls: [p], jobs: [job('done', 1, p.headSha, 'finished')], comments: [c] }));
  t.deepEqual(plan.enqueue.map((e) => [e.pull.number, e.reason, e.trigger]), [[1, 'recheck', { commentId: c.id, user: 'DEV1' }]]);
  t.deepEqual(plan.ignored, []);
});

test('/recheck by a stranger is ignored; by a collaborator it counts', (t) => {
  const p = pull(1);
  const jobs = [job('done', 1, p.headSha, 'finished')];
  const c = comment(1, 'stranger', '/recheck');
  const base = { pulls: [p], jobs, comments: [c] };

  t.deepEqual(recheckPermissionChecks(input(base)), [{ user: 'stranger', prAuthor: 'dev1' }]);
  const denied = planDiscovery(input({ ...base, permissions: { stranger: false } }));
  t.deepEqual(denied.enqueue, []);
  t.like(denied.ignored[0], { commentId: c.id, reason: 'neither the author nor someone with write access' });
  const unchecked = planDiscovery(input(base));
  t.like(unchecked.ignored[0], { reason: 'permission not checked' });

  const d = comment(1, 'Maintainer', '/recheck');
  const allowed = planDiscovery(input({ pulls: [p], jobs, comments: [d], permissions: { maintainer: true } }));
  t.like(allowed.enqueue[0], { reason: 'recheck', trigger: { commentId: d.id, user: 'Maintainer' } });
});

test('/recheck: only new comments, one per pull request, not refci\'s own, not quoted, not while a job runs', (t) => {
  const p1 = pull(1);
  const p2 = pull(2);
  const jobs = [job('a', 1, p1.headSha, 'finished'), job('b', 2, p2.headSha, 'running')];
  const cursor = { since: '2025-03-01T11:00:00Z', seenIds: [] as number[] };
  const old = comment(1, 'dev1', '/recheck', '2025-03-01T10:59:59Z');
  const seen = comment(1, 'dev1', '/recheck', '2025-03-01T11:00:00Z');
  cursor.seenIds.push(seen.id);
  const first = comment(1, 'dev1', '/recheck', '2025-03-01T11:00:00Z');
  const second = comment(1, 'dev1', '/RECHECK please', '2025-03-01T11:00:05Z');
  const bot = comment(1, 'refci-bot', 'Comment\n/recheck\nto run again', '2025-03-01T11:00:06Z');
  const quoted = comment(1, 'dev1', '> /recheck\nno', '2025-03-01T11:00:07Z');
  const inline = comment(1, 'dev1', 'do not /recheck yet', '2025-03-01T11:00:08Z');
  const running = comment(2, 'dev2', '/recheck', '2025-03-01T11:00:09Z');
  const issue = comment(7, 'dev7', '/recheck', '2025-03-01T11:00:10Z', { isPull: false });

  const plan = planDiscovery(input({ pulls: [p1, p2], jobs, cursor, comments: [issue, running, inline, quoted, bot, second, first, seen, old] }));

  t.deepEqual(plan.enqueue.map((e) => [e.pull.number, e.trigger?.commentId]), [[1, first.id]]);
  t.deepEqual(plan.ignored.map((i) => [i.commentId, i.reason]), [
    [second.id, 'another /recheck for this pull request came first'],
    [issue.id, 'not an open pull request'],
    [running.id, 'a job for this head is already queued or running'],
  ]);
  t.deepEqual(plan.cursor, { since: issue.updatedAt, seenIds: [issue.id] });
});

test('/recheck on a noci pull request is ignored', (t) => {
  const p = pull(1, { labels: ['noci'] });
  const plan = planDiscovery(input({ pulls: [p], jobs: [job('s', 1, p.headSha, 'skipped')], comments: [comment(1, 'dev1', '/recheck')] }));
  t.deepEqual(plan.enqueue, []);
  t.is(plan.ignored[0]!.reason, 'the pull request has the noci label');
});

test('/recheck together with a new head gives one job', (t) => {
  const p = pull(1);
  const c = comment(1, 'dev1', '/recheck');
  const plan = planDiscovery(input({ pulls: [p], jobs: [job('old', 1, 'a'.repeat(40), 'finished')], comments: [c] }));
  t.deepEqual(plan.enqueue.map((e) => [e.reason, e.trigger?.commentId]), [['new-head', c.id]]);
});

test('the cursor keeps the boundary ids and stays put without comments', (t) => {
  const cursor = { since: '2025-03-01T11:00:00Z', seenIds: [4] };
  t.deepEqual(planDiscovery(input({ cursor })).cursor, cursor);
  const same = comment(1, 'x', 'hi', '2025-03-01T11:00:00Z');
  t.deepEqual(planDiscovery(input({ cursor, comments: [same] })).cursor, { since: cursor.since, seenIds: [4, same.id].sort((a, b) => a - b) });
});

test('isRecheck', (t) => {
  t.true(isRecheck('/recheck'));
  t.true(isRecheck('  /recheck  '));
  t.true(isRecheck('thanks\r\n/recheck please'));
  t.false(isRecheck('/rechecking'));
  t.false(isRecheck('> /recheck'));
  t.false(isRecheck('`/recheck`'));
});

test('the plan is plain data', (t) => {
  const p = pull(1, { labels: ['noci'] });
  const plan = planDiscovery(input({ pulls: [p, pull(2)], jobs: [job('x', 3, 'y', 'queued')], comments: [comment(2, 'dev2', '/recheck')] }));
  t.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
});

for (const flavor of FLAVORS) {
  test(`${flavor}: a discovery poll from the fake forge to a plan`, async (t) => {
    const { fake, forge } = await harness(flavor);
    t.teardown(() => fake.close());
    fake.setPermission('maintainer', 'write');
    const tested = fake.openPull({ author: 'alice' });
    const pushed = fake.openPull({ author: 'bob' });
    const skipped = fake.openPull({ author: 'carol', labels: ['noci'] });
    const urgent = fake.openPull({ author: 'dave', labels: ['priority-ci'] });
    const closed = fake.openPull({ author: 'erin' });
    const cursor = initialCursor(fake.iso());
    const jobs: KnownJob[] = [
      job('j-tested', tested.number, tested.headSha, 'finished'),
      job('j-pushed', pushed.number, pushed.headSha, 'running'),
      job('j-closed', closed.number, closed.headSha, 'queued'),
    ];
    fake.pushHead(pushed.number);
    fake.closePull(closed.number);
    fake.addComment(tested.number, 'stranger', '/recheck');
    fake.addComment(tested.number, 'maintainer', '/recheck');

    const pulls = await forge.listOpenPulls();
    const comments = await forge.listCommentsSince(cursor.since);
    const botLogin = await forge.whoami();
    const permissions: Record<string, boolean> = {};
    for (const check of recheckPermissionChecks({ pulls, comments, cursor, botLogin })) {
      permissions[check.user.toLowerCase()] = await forge.canTrigger(check.user, check.prAuthor);
    }
    const plan = planDiscovery({ pulls, jobs, comments, cursor, botLogin, permissions, statusContext: 'refci' });

    t.deepEqual(permissions, { stranger: false, maintainer: true });
    t.deepEqual(plan.enqueue.map((e) => [e.pull.number, e.reason, e.priority]), [
      [urgent.number, 'new-pr', 'high'],
      [pushed.number, 'new-head', 'normal'],
      [tested.number, 'recheck', 'normal'], // the comments made it the most recently updated
    ]);
    t.deepEqual(plan.cancel.map((c) => [c.jobId, c.reason]).sort(), [['j-closed', 'pr-closed'], ['j-pushed', 'superseded']]);
    t.deepEqual(plan.skip.map((s) => s.pr), [skipped.number]);
    t.deepEqual(plan.ignored.map((i) => [i.user, i.reason]), [['stranger', 'neither the author nor someone with write access']]);

    // Carry out the skip, then poll again: nothing left to do.
    for (const skip of plan.skip) await forge.setStatus(skip.headSha, skip.status);
    t.like(fake.statuses[0], { sha: skipped.headSha, state: 'success', description: 'skipped: the pull request has the noci label' });
    const nextJobs: KnownJob[] = [
      ...plan.enqueue.map((e, i) => job(`new-${i}`, e.pull.number, e.pull.headSha, 'queued', e.priority)),
      ...plan.skip.map((s) => job(`skip-${s.pr}`, s.pr, s.headSha, 'skipped')),
      job('j-tested', tested.number, tested.headSha, 'finished'),
    ];
    const again = planDiscovery({
      pulls: await forge.listOpenPulls(),
      jobs: nextJobs,
      comments: await forge.listCommentsSince(plan.cursor.since),
      cursor: plan.cursor,
      botLogin,
      permissions: {},
      statusContext: 'refci',
    });
    t.deepEqual([again.enqueue, again.cancel, again.skip, again.ignored, again.reprioritise], [[], [], [], [], []]);
  });
}

/** The Forge interface against the fake GitHub and the fake Forgejo: the same tests for both. */
import test from 'ava';
import { RefciError } from '../../src/errors.ts';
import { reportMarker } from '../../src/forge/text.ts';
import { emptyPullListCache } from '../../src/forge/types.ts';
import { sha } from '../helpers/fake-forge.ts';
import { FLAVORS, harness, TEST_TOKEN } from '../helpers/fake-forge-client.ts';

const MARKER = reportMarker('refci');

for (const flavor of FLAVORS) {
  const pullsPath = '/repos/gentoo/gentoo/pulls';

  test(`${flavor}: listOpenPulls follows the pages and normalises the pull requests`, async (t) => {
    const { fake, forge } = await harness(flavor, {}, { perPage: 2 });
    t.teardown(() => fake.close());
    fake.openPull({ author: 'alice', labels: ['noci', 'bug'], headRef: 'foo-1.2' });
    fake.openPull({ author: 'bob', headOwner: null });
    fake.openPull();
    fake.closePull(fake.openPull().number);
    fake.openPull({ author: 'carol', draft: true });

    const pulls = await forge.listOpenPulls();

    t.deepEqual(pulls.map((p) => p.number), [1, 2, 3, 5]);
    t.deepEqual(fake.requestsTo('GET', pullsPath).map((r) => r.query.page), ['1', '2']);
    const first = fake.requestsTo('GET', pullsPath)[0]!;
    t.is(first.query.state, 'open');
    t.is(first.query[flavor === 'github' ? 'per_page' : 'limit'], '2');
    const alice = pulls[0]!;
    t.like(alice, {
      number: 1,
      state: 'open',
      author: 'alice',
      labels: ['noci', 'bug'],
      headRef: 'foo-1.2',
      baseRef: 'master',
      headSha: fake.pulls.get(1)!.headSha,
      baseSha: fake.pulls.get(1)!.baseSha,
      updatedAt: fake.pulls.get(1)!.updatedAt,
      cloneUrl: `${fake.webUrl}/gentoo/gentoo.git`,
      headCloneUrl: `${fake.webUrl}/alice/gentoo.git`,
      pullRef: 'refs/pull/1/head',
      merged: false,
      draft: false,
    });
    t.regex(alice.url, /\/gentoo\/gentoo\/pulls?\/1$/);
    // Deleted fork: fetch refs/pull/2/head from the base repository.
    t.is(pulls[1]!.headCloneUrl, `${fake.webUrl}/gentoo/gentoo.git`);
    t.true(pulls[3]!.draft);
  });

  test(`${flavor}: getPull tells open, closed and merged, and a missing one is not-found`, async (t) => {
    const { fake, forge } = await harness(flavor);
    t.teardown(() => fake.close());
    fake.openPull();
    fake.openPull();
    fake.closePull(2, true);
    const newHead = fake.pushHead(1);

    t.like(await forge.getPull(1), { state: 'open', merged: false, headSha: newHead });
    t.like(await forge.getPull(2), { state: 'closed', merged: true });
    const error = await t.throwsAsync(forge.getPull(77), { instanceOf: RefciError });
    t.is(error.code, 'not-found');
    t.regex(error.message, /pull request #77 does not exist/);
  });

  test(`${flavor}: an unchanged list is answered from the cache`, async (t) => {
    const { fake, forge } = await harness(flavor, { etags: true }, { perPage: 2 });
    t.teardown(() => fake.close());
    for (let i = 0; i < 5; i++) fake.openPull();
    const cache = emptyPullListCache();

    const first = await forge.listOpenPulls(cache);
    const persisted = JSON.parse(JSON.stringify(cache)) as typeof cache; // the caller stores it as JSON
    t.is(persisted.pages.length, 3);
    const budget = fake.rateLimit.remaining;
    const second = await forge.listOpenPulls(persisted);

    t.deepEqual(second, first);
    const again = fake.requests.slice(-3);
    t.deepEqual(again.map((r) => r.status), [304, 304, 304]);
    t.true(again.every((r) => r.headers['if-none-match']?.startsWith('W/"')));
    if (flavor === 'github') t.is(fake.rateLimit.remaining, budget, '304 answers cost no rate limit');

    // A push changes page 2 only; a new pull request makes the last page grow.
    const head = fake.pushHead(3);
    fake.openPull();
    const third = await forge.listOpenPulls(persisted);
    t.deepEqual(fake.requests.slice(-3).map((r) => r.status), [304, 200, 200]);
    t.is(third.find((p) => p.number === 3)!.headSha, head);
    t.deepEqual(third.map((p) => p.number), [1, 2, 3, 4, 5, 6]);

    // A closed pull request disappears even though the earlier pages did not change.
    fake.closePull(6);
    t.deepEqual((await forge.listOpenPulls(persisted)).map((p) => p.number), [1, 2, 3, 4, 5]);
  });

  test(`${flavor}: a full page answered 304 still looks for a page after it`, async (t) => {
    const { fake, forge } = await harness(flavor, { etags: true }, { perPage: 2 });
    t.teardown(() => fake.close());
    fake.openPull();
    fake.openPull();
    const cache = emptyPullListCache();
    t.is((await forge.listOpenPulls(cache)).length, 2);
    fake.openPull();
    t.deepEqual((await forge.listOpenPulls(cache)).map((p) => p.number), [1, 2, 3]);
  });

  test(`${flavor}: setStatus posts the status with the description cut to 140 characters`, async (t) => {
    const { fake, forge } = await harness(flavor);
    t.teardown(() => fake.close());
    const head = sha('x');
    const long = `pkgcheck: ${'VisibleVcsPkg, '.repeat(12)}🧑‍🤝‍🧑 done`;

    await forge.setStatus(head, { state: 'failure', context: 'refci/pkgcheck', description: long, targetUrl: 'https://ci.example/jobs/1' });
    await forge.setStatus(head, { state: 'pending', context: 'refci/pkgcheck', description: 'queued' });

    t.is(fake.statuses.length, 2);
    const [first, second] = fake.statuses;
    t.like(first, { sha: head, state: 'failure', context: 'refci/pkgcheck', targetUrl: 'https://ci.example/jobs/1' });
    t.true(first!.description!.length <= 140);
    t.true(first!.description!.endsWith('…'));
    t.true(long.startsWith(first!.description!.slice(0, -1)));
    t.like(second, { state: 'pending', description: 'queued', targetUrl: null });
    await t.throwsAsync(forge.setStatus('not a sha', { state: 'success', context: 'c', description: '' }), { instanceOf: RefciError, message: /is not a hexadecimal commit id/ });
  });

  test(`${flavor}: upsertComment creates, then edits in place, and does nothing when unchanged`, async (t) => {
    const { fake, forge } = await harness(flavor);
    t.teardown(() => fake.close());
    fake.openPull();
    fake.addComment(1, 'dev1', 'please test');
    // Someone quoting refci's marker is not refci's comment.
    fake.addComment(1, 'troll', `${MARKER}\nfake report`);

    const created = await forge.upsertComment(1, MARKER, '**refci**: 2 warnings');
    t.is(created.action, 'created');
    const mine = fake.comments.filter((c) => c.author === 'refci-bot');
    t.is(mine.length, 1);
    t.is(mine[0]!.body, `${MARKER}\n**refci**: 2 warnings`);

    const updated = await forge.upsertComment(1, MARKER, '**refci**: all good');
    t.deepEqual([updated.action, updated.commentId], ['updated', created.commentId]);
    t.is(fake.comments.filter((c) => c.author === 'refci-bot').length, 1);
    t.is(fake.comments.find((c) => c.id === created.commentId)!.body, `${MARKER}\n**refci**: all good`);
    t.is(fake.comments.find((c) => c.author === 'troll')!.body, `${MARKER}\nfake report`);

    const patches = fake.requestsTo('PATCH', /comments/).length;
    const same = await forge.upsertComment(1, MARKER, '**refci**: all good');
    t.deepEqual([same.action, same.commentId], ['unchanged', created.commentId]);
    t.is(fake.requestsTo('PATCH', /comments/).length, patches, 'no PATCH for an equal body');
    t.is(fake.requestsTo('GET', '/user').length, 1, 'the token user is asked once');

    // Another context is another comment.
    const other = await forge.upsertComment(1, reportMarker('refci/other'), 'other');
    t.is(other.action, 'created');
    t.not(other.commentId, created.commentId);
  });

  test(`${flavor}: upsertComment finds its comment past the first page`, async (t) => {
    const { fake, forge } = await harness(flavor, {}, { perPage: 2 });
    t.teardown(() => fake.close());
    fake.openPull();
    const created = await forge.upsertComment(1, MARKER, 'v1');
    for (let i = 0; i < 5; i++) fake.addComment(1, `user${i}`, 'hello');
    // GitHub lists oldest first, so put refci's comment last by recreating it.
    fake.comments.push(fake.comments.splice(fake.comments.findIndex((c) => c.id === created.commentId), 1)[0]!);
    const result = await forge.upsertComment(1, MARKER, 'v2');
    t.deepEqual([result.action, result.commentId], ['updated', created.commentId]);
  });

  test(`${flavor}: listCommentsSince reads repository-wide comments, one request per page`, async (t) => {
    const { fake, forge } = await harness(flavor, {}, { perPage: 3 });
    t.teardown(() => fake.close());
    fake.openPull({ author: 'alice' });
    const issue = fake.openIssue();
    fake.addComment(1, 'alice', 'old');
    const since = new Date(fake.now + 1000).toISOString();
    const c1 = fake.addComment(1, 'alice', '/recheck');
    const c2 = fake.addComment(issue, 'bob', 'an issue');
    for (let i = 0; i < 4; i++) fake.addComment(1, `u${i}`, `comment ${i}`);

    const comments = await forge.listCommentsSince(since);

    t.is(comments.length, 6);
    t.like(comments[0], { id: c1.id, prNumber: 1, isPull: true, author: 'alice', body: '/recheck', createdAt: c1.createdAt, updatedAt: c1.updatedAt });
    t.like(comments[1], { id: c2.id, prNumber: issue, isPull: false, author: 'bob' });
    const requests = fake.requestsTo('GET', '/repos/gentoo/gentoo/issues/comments');
    t.is(requests.length, 2);
    t.true(requests.every((r) => r.query.since === since));
    if (flavor === 'github') t.is(requests[0]!.query.sort, 'updated');
    t.is(fake.requests.filter((r) => /\/issues\/\d+\/comments/.test(r.path)).length, 0, 'no per-PR listing');
  });

  test(`${flavor}: canTrigger allows the author and write access, not others`, async (t) => {
    const { fake, forge } = await harness(flavor);
    t.teardown(() => fake.close());
    fake.setPermission('writer', 'write');
    fake.setPermission('maint', 'maintain');
    fake.setPermission('boss', 'admin');
    fake.setPermission('triager', 'triage');
    fake.setPermission('reader', 'read');
    fake.users.add('stranger');

    t.true(await forge.canTrigger('Alice', 'alice'), 'the author (logins are case-insensitive)');
    t.is(fake.requestsTo('GET', /permission$/).length, 0, 'the author needs no look-up');
    t.true(await forge.canTrigger('writer', 'alice'));
    t.true(await forge.canTrigger('maint', 'alice'));
    t.true(await forge.canTrigger('boss', 'alice'));
    t.true(await forge.canTrigger('gentoo', 'alice'), 'the owner');
    t.false(await forge.canTrigger('triager', 'alice'));
    t.false(await forge.canTrigger('reader', 'alice'));
    t.false(await forge.canTrigger('stranger', 'alice'));
    t.false(await forge.canTrigger('no-such-user', 'alice'));
  });

  test(`${flavor}: 5xx answers are retried with backoff, then give up`, async (t) => {
    const h = await harness(flavor);
    t.teardown(() => h.fake.close());
    h.fake.openPull();
    h.fake.script({ path: pullsPath, status: 502, body: { message: 'Server Error' }, times: 2 });

    t.is((await h.forge.listOpenPulls()).length, 1);
    t.deepEqual(h.sleeps, [1000, 2000]);
    t.deepEqual(h.fake.requestsTo('GET', pullsPath).map((r) => r.status), [502, 502, 200]);
    t.true(h.logs.some((line) => /502/.test(line) && /retry 2\/4/.test(line)));

    h.sleeps.length = 0;
    h.fake.script({ path: '/repos/gentoo/gentoo/pulls/1', status: 503, body: { message: 'Service Unavailable' }, times: 10 });
    const error = await t.throwsAsync(h.forge.getPull(1), { instanceOf: RefciError });
    t.is(error.code, 'forge');
    t.regex(error.message, /answer 503 after 4 attempts/);
    t.deepEqual(h.sleeps, [1000, 2000, 4000]);
  });

  test(`${flavor}: a 4xx is not retried`, async (t) => {
    const h = await harness(flavor);
    t.teardown(() => h.fake.close());
    h.fake.script({ method: 'POST', path: /statuses/, status: 422, body: { message: 'Validation Failed' } });
    const error = await t.throwsAsync(h.forge.setStatus(sha('a'), { state: 'success', context: 'c', description: 'd' }), { instanceOf: RefciError });
    t.regex(error.message, /answered 422 to POST \/repos\/gentoo\/gentoo\/statuses\/[0-9a-f]{40} \(Validation Failed\)/);
    t.deepEqual(h.sleeps, []);
  });

  test(`${flavor}: a short rate-limit wait is sat through, a long one stops with when to retry`, async (t) => {
    const h = await harness(flavor, {}, { retry: { maxRateLimitWaitMs: 60_000 } });
    t.teardown(() => h.fake.close());
    h.fake.openPull();
    h.fake.script({ path: pullsPath, status: 429, headers: { 'retry-after': '30' }, body: { message: 'Too Many Requests' } });
    t.is((await h.forge.listOpenPulls()).length, 1);
    t.deepEqual(h.sleeps, [30_000]);
    t.true(h.logs.some((line) => /rate limit/.test(line) && /30s/.test(line)));

    h.fake.script({ path: pullsPath, status: 429, headers: { 'retry-after': '3600' }, body: { message: 'Too Many Requests' } });
    const retryAt = new Date(h.fake.now + 3_600_000).toISOString();
    const error = await t.throwsAsync(h.forge.listOpenPulls(), { instanceOf: RefciError });
    t.is(error.code, 'forge');
    t.regex(error.message, /rate limit reached/);
    t.true(error.message.includes(retryAt));
    t.is(error.hint, `retry after ${retryAt}; refci waits by itself only up to 1m00s`);
    t.is(error.details?.retryAt, retryAt);
    t.deepEqual(h.sleeps, [30_000], 'no wait for the long one');
  });

  test(`${flavor}: the token is only ever sent in the Authorization header and never shows in errors`, async (t) => {
    const h = await harness(flavor);
    t.teardown(() => h.fake.close());
    const { fake, forge } = h;
    fake.openPull();
    const errors: unknown[] = [];
    const collect = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        errors.push(error);
      }
    };
    // A server that echoes the token back in its error message (it happens with proxies).
    fake.script({ path: pullsPath, status: 400, body: { message: `bad request for token ${TEST_TOKEN}` } });
    await collect(forge.listOpenPulls());
    fake.script({ path: '/repos/gentoo/gentoo/pulls/1', status: 500, body: { message: `boom ${TEST_TOKEN}` }, times: 10 });
    await collect(forge.getPull(1));
    fake.script({ path: /permission$/, status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(fake.now / 1000) + 7200) }, body: { message: `rate limit ${TEST_TOKEN}` } });
    await collect(forge.canTrigger('someone', 'author'));
    await collect(forge.upsertComment(999, MARKER, 'x'));
    await collect(h.client({ token: `${TEST_TOKEN}-wrong` }).listOpenPulls());
    await collect(h.client({ apiUrl: 'http://127.0.0.1:9/api' }).getPull(1)); // nothing listens on port 9
    await collect(forge.setStatus(`${TEST_TOKEN}`, { state: 'success', context: 'c', description: 'd' }));

    t.is(errors.length, 7);
    for (const error of errors) {
      t.true(error instanceof RefciError, String(error));
      const e = error as RefciError;
      const text = [e.message, e.hint ?? '', JSON.stringify(e.details ?? {}), e.stack ?? '', String(e), e.oneLine()].join('\n');
      t.false(text.includes(TEST_TOKEN), `token leaked in: ${e.message}`);
    }
    t.regex((errors[4] as RefciError).message, /rejected the token from [A-Z]+_TOKEN or the token file \(401/);
    t.false(h.logs.join('\n').includes(TEST_TOKEN));

    t.true(fake.requests.length > 5);
    for (const request of fake.requests) {
      t.regex(request.headers.authorization ?? '', /^token /);
      const elsewhere = [request.url, request.body, ...Object.entries(request.headers).filter(([name]) => name !== 'authorization').map(([n, v]) => `${n}: ${v}`)];
      t.false(elsewhere.join('\n').includes(TEST_TOKEN), `${request.method} ${request.url}`);
    }
  });
}

test('github: an exhausted rate limit waits for the reset when it is near', async (t) => {
  const h = await harness('github', {}, { retry: { maxRateLimitWaitMs: 5 * 60_000 } });
  t.teardown(() => h.fake.close());
  h.fake.openPull();
  h.fake.rateLimit.remaining = 0;
  h.fake.rateLimit.reset = Math.floor(h.fake.now / 1000) + 90;

  t.is((await h.forge.listOpenPulls()).length, 1);
  t.deepEqual(h.fake.requests.map((r) => r.status), [403, 200]);
  t.deepEqual(h.sleeps, [91_000], 'until the reset, plus a second');
  t.is(h.fake.rateLimit.remaining, 4999);
});

test('github: an exhausted rate limit with a far reset stops and says when', async (t) => {
  const h = await harness('github', {}, { retry: { maxRateLimitWaitMs: 5 * 60_000 } });
  t.teardown(() => h.fake.close());
  h.fake.rateLimit.remaining = 0;
  h.fake.rateLimit.reset = Math.floor(h.fake.now / 1000) + 3000;
  const retryAt = new Date((h.fake.rateLimit.reset + 1) * 1000).toISOString();

  const error = await t.throwsAsync(h.forge.listOpenPulls(), { instanceOf: RefciError });
  t.is(error.code, 'forge');
  t.is(error.message, `GitHub rate limit reached for GET /repos/gentoo/gentoo/pulls (answer 403); it resets at ${retryAt}, in 50m01s`);
  t.deepEqual(h.sleeps, []);
});

test('github: a 403 that is not a rate limit is a permission error, not retried', async (t) => {
  const h = await harness('github');
  t.teardown(() => h.fake.close());
  h.fake.script({ method: 'POST', status: 403, body: { message: 'Resource not accessible by personal access token' } });
  const error = await t.throwsAsync(h.forge.setStatus(sha('b'), { state: 'success', context: 'c', description: 'd' }), { instanceOf: RefciError });
  t.regex(error.message, /GitHub refused POST .*403 Resource not accessible/);
  t.regex(error.hint ?? '', /lacks a permission.*docs\/forge\.md/);
  t.deepEqual(h.sleeps, []);
});

test('github: a secondary rate limit without headers waits a minute', async (t) => {
  const h = await harness('github');
  t.teardown(() => h.fake.close());
  h.fake.openPull();
  h.fake.script({ status: 403, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' } });
  t.is((await h.forge.listOpenPulls()).length, 1);
  t.deepEqual(h.sleeps, [60_000]);
});

test('github: a login given up front saves GET /user (GitHub App tokens)', async (t) => {
  const h = await harness('github');
  t.teardown(() => h.fake.close());
  h.fake.openPull();
  const forge = h.client({ login: 'refci-bot' });
  t.is((await forge.upsertComment(1, MARKER, 'hi')).action, 'created');
  t.is(h.fake.requestsTo('GET', '/user').length, 0);
});

test('forgejo: reading others\' permissions needs a repository admin token; the error says so', async (t) => {
  const h = await harness('forgejo', { botIsRepoAdmin: false });
  t.teardown(() => h.fake.close());
  h.fake.setPermission('writer', 'write');
  const error = await t.throwsAsync(h.forge.canTrigger('writer', 'alice'), { instanceOf: RefciError });
  t.regex(error.message, /Codeberg refused to tell writer's permission/);
  t.regex(error.hint ?? '', /admin/);
  t.true(await h.forge.canTrigger('alice', 'alice'));
});

test('forgejo: sends the token as "token …" and asks for the oldest pull requests first', async (t) => {
  const h = await harness('forgejo');
  t.teardown(() => h.fake.close());
  h.fake.openPull();
  h.fake.openPull();
  t.deepEqual((await h.forge.listOpenPulls()).map((p) => p.number), [1, 2]);
  const request = h.fake.requests[0]!;
  t.is(request.headers.authorization, `token ${TEST_TOKEN}`);
  t.is(request.query.sort, 'oldest');
});

/** A discovery poll that dies half way (a rate limit right after the push) repeats nothing at the next poll. */
import test from 'ava';
import { FolderPublisher } from '../../src/collect/publisher.ts';
import { forgeCoord } from '../helpers/forge-coord.ts';
import type { ScriptedAnswer } from '../helpers/fake-forge.ts';

const rateLimited: Record<'github' | 'forgejo', (reset: number) => ScriptedAnswer> = {
  github: (reset) => ({
    method: 'POST',
    path: /^\/repos\/gentoo\/gentoo\/statuses\//,
    status: 403,
    headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': String(reset) },
    body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest' },
    times: 1,
  }),
  forgejo: () => ({ method: 'POST', path: /^\/repos\/gentoo\/gentoo\/statuses\//, status: 429, headers: { 'retry-after': '3600' }, body: { message: "rate limit" } }),
};

for (const flavor of ['github', 'forgejo'] as const) {
  test(`${flavor}: a /recheck enqueued just before a rate limit is not enqueued again by the next poll`, async (t) => {
    const f = await forgeCoord(t, flavor);
    f.fake.openPull({ author: 'alice' });
    const [first] = (await f.poll()).enqueued;
    await f.finish(first!.id);
    t.is(await f.collect([new FolderPublisher(`${f.dir}/reports`)]), 1);

    f.fake.addComment(1, 'alice', '/recheck');
    // The push of the recheck job wins, then the "queued" status hits the rate limit.
    f.fake.script(rateLimited[flavor](Math.floor(f.fake.now / 1000) + 3600));
    await t.throwsAsync(f.poll(), { message: /rate limit/i });
    const live = (await f.live()).filter((job) => job.state === 'queued');
    t.is(live.length, 1, 'the recheck job was pushed');

    // It runs and is archived before the next poll: only the saved cursor keeps the comment from firing again.
    await f.finish(live[0]!.id);
    t.is(await f.collect([new FolderPublisher(`${f.dir}/reports`)]), 1);
    const next = await f.poll();
    t.deepEqual(next.enqueued, []);
  });
}

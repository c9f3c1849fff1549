/**
 * Publishing on the fake forges through the real collector and a real coordination repository.
 * Serial, as the discovery tests: run at once on a loaded machine, a push now and then reads as
 * failed (git exits 0 without its porcelain lines), on main as well.
 */
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Lease } from '../../src/claim/lease.ts';
import { ForgePublisher } from '../../src/collect/forge-publisher.ts';
import { cancelJobs } from '../../src/enqueue/enqueue.ts';
import { sameRepository } from '../../src/protocol/repo-url.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { summaryPath } from '../../src/protocol/history.ts';
import { historyShard } from '../../src/protocol/ids.ts';
import { liveRefspecs } from '../../src/protocol/refs.ts';
import { descriptorOf } from '../../src/protocol/snapshot.ts';
import { FLAVORS } from '../helpers/fake-forge-client.ts';
import { forgeCoord, type ForgeCoord } from '../helpers/forge-coord.ts';

const REPORT_URL = 'https://ci.example.org/history/jobs/{shard}/{job}/report.html';

function publisher(f: ForgeCoord, log: string[] = []) {
  return new ForgePublisher({ forge: f.forge, stateDir: f.collectDir, reportUrl: REPORT_URL, log: (line) => log.push(line) });
}

const botComments = (f: ForgeCoord) => f.fake.comments.filter((c) => c.author === f.fake.botLogin);
const statusesOf = (f: ForgeCoord, sha: string) => f.fake.statuses.filter((s) => s.sha === sha).map((s) => [s.state, s.description]);

async function summaryOf(f: ForgeCoord, id: string) {
  return f.readJson('refs/ci/history', summaryPath(id));
}

for (const flavor of FLAVORS) {
  test.serial(`${flavor}: a verdict becomes a status with the report link and one comment; a crash before archiving publishes again without a second comment`, async (t) => {
    const f = await forgeCoord(t, flavor);
    const pull = { ...f.fake.openPull() };
    const [entry] = (await f.poll()).enqueued;
    const id = entry!.id;
    await f.finish(id, 'failure', 'step scan exited with 1');

    // The archive push is refused, as if the collector died between publishing and archiving.
    f.repository.declines = (refs) => (refs.includes('refs/ci/history') ? 'archive refused' : undefined);
    const log: string[] = [];
    t.is(await f.collect([publisher(f, log)], log), 0);
    f.repository.declines = undefined;
    t.is(await f.collect([publisher(f, log)], log), 1);

    t.is(botComments(f).length, 1, 'one report comment, whatever the number of publications');
    const comment = botComments(f)[0]!;
    t.is(comment.issue, 1);
    t.true(comment.body.startsWith('<!-- refci:report gentoo-ci -->\n<!-- refci:verdict failure -->\n## ❌ The check failed\n'));
    t.true(comment.body.includes(pull.headSha), 'the comment names the commit checked');
    const url = `https://ci.example.org/history/jobs/${historyShard(id)}/${id}/report.html`;
    t.true(comment.body.includes(`[full report](${url})`));
    const finals = f.fake.statuses.filter((s) => s.state === 'failure');
    t.true(finals.length >= 1);
    t.like(finals.at(-1)!, { sha: pull.headSha, context: 'gentoo-ci', description: 'step scan exited with 1', targetUrl: url });
    t.is(f.fake.statuses.at(-1)!.state, 'failure', 'nothing pending after the verdict');
    t.true(log.some((line) => /comment created/.test(line)));
    t.true(log.some((line) => /comment unchanged/.test(line)));

    // The next verdict on the same pull request edits the comment in place; failure turned
    // success, so a short new comment tells the author (an edit notifies nobody).
    const newHead = f.fake.pushHead(1);
    const [second] = (await f.poll()).enqueued;
    await f.finish(second!.id, 'success', 'all 1 steps passed');
    t.is(await f.collect([publisher(f)]), 1);
    const [report, notice] = botComments(f);
    t.is(botComments(f).length, 2);
    t.is(report!.id, comment.id, 'the report comment is the same one, edited');
    t.true(report!.body.includes(newHead));
    t.regex(report!.body, /## ✅ The check passed/);
    t.true(notice!.body.startsWith(`✅ The new problems are gone: this pull request passes the check again (checked ${newHead}).`), notice!.body);
    t.false(notice!.body.includes('refci:report'), 'the notice is never taken for the report comment');
  });

  test.serial(`${flavor}: a head that moved during the run gets nothing published, and the history says superseded`, async (t) => {
    const f = await forgeCoord(t, flavor);
    const oldHead = f.fake.openPull().headSha;
    const [entry] = (await f.poll()).enqueued;
    await f.finish(entry!.id);
    const moved = f.fake.pushHead(1);
    const log: string[] = [];
    t.is(await f.collect([publisher(f, log)], log), 1, log.join('\n'));
    t.deepEqual(statusesOf(f, oldHead), [['pending', 'queued, position 1']]);
    t.deepEqual(statusesOf(f, moved), []);
    t.is(botComments(f).length, 0);
    const summary = await summaryOf(f, entry!.id);
    t.is(summary.verdict, 'success');
    t.regex(summary.reason, new RegExp(`superseded: the head of PR #1 is now ${moved.slice(0, 12)}; nothing published`));
  });
}

test.serial('running on <worker> once per claim; a job whose worker died after its attempts ends in error, never pending', async (t) => {
  const f = await forgeCoord(t, 'github');
  const pull = f.fake.openPull();
  const [entry] = (await f.poll({ maxAttempts: 1 })).enqueued;
  const clone = await CoordClone.open(path.join(f.dir, 'w1', 'coord.git'), f.coord);
  await clone.fetch(liveRefspecs());
  const live = (await readSnapshot(clone)).get(entry!.id)!;
  const worker = { id: 'w1', host: os.hostname(), leaseSec: 30, tools: {} };
  const lease = await Lease.acquire(clone, worker, { id: live.id, job: descriptorOf(live)!, jobOid: live.job!.oid, attempt: 1, expect: null }, f.clock);
  t.truthy(lease);

  await f.collect([publisher(f)]);
  await f.collect([publisher(f)]);
  t.deepEqual(statusesOf(f, pull.headSha), [
    ['pending', 'queued, position 1'],
    ['pending', 'running on w1'],
  ]);
  f.fake.advance(31_000);
  t.is(await f.collect([publisher(f)]), 1);
  const statuses = statusesOf(f, pull.headSha);
  t.deepEqual(statuses.at(-1), ['error', 'lease of w1 expired on attempt 1 of 1; giving up']);
  t.is(botComments(f).length, 1);
  t.regex(botComments(f)[0]!.body, /## ⚠️ The check could not be completed/);
});

test.serial('a cancelled job: error on an open pull request; nothing on a closed one or one labelled noci', async (t) => {
  const f = await forgeCoord(t, 'github');
  for (let i = 0; i < 3; i++) f.fake.openPull();
  const jobs = (await f.poll()).enqueued;
  const clone = await CoordClone.open(path.join(f.dir, 'cancel', 'coord.git'), f.coord);
  await cancelJobs({ clone, clock: f.clock, by: 'admin' }, [jobs[0]!.id], 'cancelled by hand');
  f.fake.closePull(2);
  f.fake.addLabel(3, 'noci');
  await f.poll();
  t.is(await f.collect([publisher(f)]), 3);
  const last = (n: number) => statusesOf(f, f.fake.pulls.get(n)!.headSha).at(-1);
  t.deepEqual(last(1), ['error', 'cancelled: cancelled by hand']);
  t.deepEqual(last(2), ['pending', 'queued, position 2']);
  t.deepEqual(last(3), ['success', 'skipped: the pull request has the noci label']);
  t.is(botComments(f).length, 0);
});

test.serial('jobs of other repositories, other forges and without a pull request are left alone', async (t) => {
  const f = await forgeCoord(t, 'github');
  const forgePublisher = publisher(f);
  const web = f.fake.webUrl;
  t.true(forgePublisher.handles({ repo: `${web}/Gentoo/gentoo/`, pr: 1 } as never));
  t.false(forgePublisher.handles({ repo: `${web}/gentoo/gentoo.git` } as never));
  t.false(forgePublisher.handles({ repo: `${web}/other/gentoo.git`, pr: 1 } as never));
  t.false(forgePublisher.handles({ repo: 'https://codeberg.org/gentoo/gentoo.git', pr: 1 } as never));
  t.true(sameRepository('https://github.com/gentoo/gentoo.git', 'git@github.com:Gentoo/gentoo'));
  t.true(sameRepository('ssh://git@github.com:22/gentoo/gentoo.git', 'https://user@github.com/gentoo/gentoo/'));
  t.false(sameRepository('https://github.com/gentoo/gentoo.git', 'https://codeberg.org/gentoo/gentoo.git'));
  t.true(sameRepository('/srv/git/gentoo.git', '/srv/git/gentoo'));
});

test.serial('a forge that fails leaves the job live; the next round publishes and archives it', async (t) => {
  const f = await forgeCoord(t, 'github');
  f.fake.openPull();
  const [entry] = (await f.poll()).enqueued;
  await f.finish(entry!.id);
  f.fake.script({ method: 'POST', path: /^\/repos\/gentoo\/gentoo\/statuses\//, status: 502, times: 4 });
  const log: string[] = [];
  t.is(await f.collect([publisher(f)], log), 0);
  t.true(log.some((line) => line.startsWith(`${entry!.id}: publishing failed, left for the next round: GitHub failed POST`)), log.join('\n'));
  t.true((await f.live()).some((job) => job.id === entry!.id));
  t.is(await f.collect([publisher(f)]), 1);
  t.is(f.fake.statuses.at(-1)!.state, 'success');
  t.is(botComments(f).length, 1);
});

/**
 * Publishing within GitHub's limits, through the real collector, a real coordination repository
 * and the fake GitHub on its own clock: refusals for good end after a bounded number of rounds,
 * a turned-around verdict gets one short new comment, and the hour's write budget holds.
 */
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Lease } from '../../src/claim/lease.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { liveRefspecs } from '../../src/protocol/refs.ts';
import { descriptorOf } from '../../src/protocol/snapshot.ts';
import { ForgePublisher, type ForgePublisherOptions } from '../../src/collect/forge-publisher.ts';
import { summaryPath } from '../../src/protocol/history.ts';
import { forgeCoord, type ForgeCoord } from '../helpers/forge-coord.ts';

const REPORT_URL = 'https://ci.example.org/reports/{job}/report.html';

function publisher(f: ForgeCoord, log: string[] = [], extra: Partial<ForgePublisherOptions> = {}) {
  return new ForgePublisher({ forge: f.forge, stateDir: f.collectDir, reportUrl: REPORT_URL, clock: f.clock, log: (line) => log.push(line), ...extra });
}

const botComments = (f: ForgeCoord) => f.fake.comments.filter((c) => c.author === f.fake.botLogin);

async function summaryOf(f: ForgeCoord, id: string) {
  return f.readJson('refs/ci/history', summaryPath(id));
}

test.serial('a 422 on one pull request ends its publishing after three rounds with the forge\'s answer; the others are published', async (t) => {
  const f = await forgeCoord(t, 'github');
  f.fake.openPull();
  const refused = f.fake.openPull();
  const [one, two] = (await f.poll()).enqueued;
  await f.finish(one!.id);
  await f.finish(two!.id);
  f.fake.script({ method: 'POST', path: `/repos/gentoo/gentoo/statuses/${refused.headSha}`, status: 422, body: { message: 'Validation Failed' }, times: 100 });

  const log: string[] = [];
  t.is(await f.collect([publisher(f, log)], log), 1, 'the other pull request is published and archived');
  t.is(f.fake.statuses.filter((s) => s.state === 'success').length, 1);
  t.true(log.some((line) => line.startsWith(`${two!.id}: PR #2 refused (1 of 3 tries): GitHub answered 422 to POST`)), log.join('\n'));
  t.is(await f.collect([publisher(f, log)], log), 0, 'tried again in the next round');
  t.is(await f.collect([publisher(f, log)], log), 1, 'the third refusal ends it: archived');
  t.is(await f.collect([publisher(f, log)], log), 0, 'nothing left');

  const tries = f.fake.requestsTo('POST', `/repos/gentoo/gentoo/statuses/${refused.headSha}`).filter((r) => r.status === 422);
  t.is(tries.length, 3, 'a bounded number of tries');
  const summary = await summaryOf(f, two!.id);
  t.is(summary.verdict, 'success');
  t.regex(summary.reason, new RegExp(`not published on GitHub PR #2 after 3 tries: GitHub answered 422 to POST /repos/gentoo/gentoo/statuses/${refused.headSha} \\(Validation Failed\\)`));
  t.deepEqual((await f.live()).map((job) => job.id), []);
});

test.serial('a 403 that is no rate limit (a locked conversation) counts as a refusal; with one try allowed the job is archived at once', async (t) => {
  const f = await forgeCoord(t, 'github');
  f.fake.openPull();
  const [entry] = (await f.poll()).enqueued;
  await f.finish(entry!.id);
  f.fake.script({ method: 'POST', path: '/repos/gentoo/gentoo/issues/1/comments', status: 403, body: { message: 'Unable to create comment because issue is locked.' } });
  const log: string[] = [];
  t.is(await f.collect([publisher(f, log, { maxRefusals: 1 })], log), 1, log.join('\n'));
  t.is(f.fake.statuses.at(-1)!.state, 'success', 'the status went out before the comment was refused');
  const summary = await summaryOf(f, entry!.id);
  t.regex(summary.reason, /not published on GitHub PR #1 after 1 try: GitHub refused POST \/repos\/gentoo\/gentoo\/issues\/1\/comments \(403 Unable to create comment because issue is locked\.\)/);
});

test.serial('success turned failure: the report comment is edited and one short new comment tells the author', async (t) => {
  const f = await forgeCoord(t, 'github');
  f.fake.openPull();
  const [first] = (await f.poll()).enqueued;
  await f.finish(first!.id, 'success', 'all 1 steps passed');
  t.is(await f.collect([publisher(f)]), 1);
  t.is(botComments(f).length, 1, 'the first report is a new comment: no notice');
  const report = botComments(f)[0]!;

  const head = f.fake.pushHead(1);
  const [second] = (await f.poll()).enqueued;
  await f.finish(second!.id, 'failure', 'step scan exited with 1');
  const log: string[] = [];
  t.is(await f.collect([publisher(f, log)], log), 1);
  const [edited, notice, ...more] = botComments(f);
  t.deepEqual(more, []);
  t.is(edited!.id, report.id);
  t.regex(edited!.body, /^<!-- refci:report gentoo-ci -->\n<!-- refci:verdict failure -->\n## ❌ The check failed\n/);
  t.true(notice!.body.length < 600, 'short');
  const reportLink = `${f.fake.webUrl}/gentoo/gentoo/pull/1#issuecomment-${report.id}`;
  t.is(
    notice!.body,
    `❌ This pull request has new problems since the last check (checked ${head}): step scan exited with 1\n\n` +
      `Details: [the report comment](${reportLink}) · [full report](https://ci.example.org/reports/${second!.id}/report.html)\n`,
  );
  t.true(log.some((line) => line === `${second!.id}: PR #1 went from success to failure; notice posted`), log.join('\n'));

  // The same verdict again (a new head, still failing): edited, no notice.
  f.fake.pushHead(1);
  const [third] = (await f.poll()).enqueued;
  await f.finish(third!.id, 'failure', 'step scan exited with 1');
  t.is(await f.collect([publisher(f)]), 1);
  t.is(botComments(f).length, 2);
});

test.serial('the hour\'s write budget: verdicts first, "running" statuses with what is left; a verdict without room waits, live', async (t) => {
  const f = await forgeCoord(t, 'github');
  for (let i = 0; i < 3; i++) f.fake.openPull();
  const [one, two, three] = (await f.poll()).enqueued;
  await f.finish(one!.id);
  await f.finish(two!.id);
  await claim(f, three!.id);
  const budget = { writeBudget: { writesPerHour: 3, progressPerHour: 3 } };
  const log: string[] = [];
  const before = f.fake.statuses.length;
  t.is(await f.collect([publisher(f, log, budget)], log), 1, 'status and comment of the first; no room for the second');
  t.true(log.some((line) => line.includes(`${two!.id}: not published on GitHub yet: the writes of the last hour reached the budget of 3; room again at`)), log.join('\n'));
  t.true((await f.live()).some((job) => job.id === two!.id), 'left live, not lost');
  const round = f.fake.statuses.slice(before).map((s) => s.description);
  t.deepEqual(round, ['all 1 steps passed', 'running on w1'], 'the verdict first, then the running status with the one write left');

  f.fake.advance(3_600_000);
  t.is(await f.collect([publisher(f, log, budget)], log), 1);
  t.deepEqual((await f.live()).map((job) => job.id), [three!.id]);
});

/** Takes a job as worker w1 would (a lock, no result yet). */
async function claim(f: ForgeCoord, id: string): Promise<void> {
  const clone = await CoordClone.open(path.join(f.dir, 'w1', 'coord.git'), f.coord);
  await clone.fetch(liveRefspecs());
  const live = (await readSnapshot(clone)).get(id)!;
  const worker = { id: 'w1', host: os.hostname(), leaseSec: 86_400, tools: {} };
  const lease = await Lease.acquire(clone, worker, { id, job: descriptorOf(live)!, jobOid: live.job!.oid, attempt: 1, expect: null }, f.clock);
  if (!lease) throw new Error(`could not claim ${id}`);
}

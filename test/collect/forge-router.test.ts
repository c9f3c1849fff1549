/**
 * Every forge job is published, or loudly not: jobs name their forge, and a collector given no
 * forge flag publishes each on its own forge with this host's settings; without a token for it the
 * jobs stay live, the collector says so once per forge, and refci status too.
 */
import path from 'node:path';
import test from 'ava';
import { ForgePublisher } from '../../src/collect/forge-publisher.ts';
import { ForgeRouter } from '../../src/collect/forge-router.ts';
import { forgeForJobs } from '../../src/cli/forge-flags.ts';
import type { Io } from '../../src/cli/command.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { liveRefspecs } from '../../src/protocol/refs.ts';
import { buildStatus, renderStatus } from '../../src/status/report.ts';
import { TEST_TOKEN } from '../helpers/fake-forge-client.ts';
import { forgeCoord } from '../helpers/forge-coord.ts';

test('github: jobs name their forge; no token leaves them live with one line; with a token they are published without a flag', async (t) => {
  const f = await forgeCoord(t, 'github');
  const one = f.fake.openPull();
  const two = f.fake.openPull();
  const jobs = (await f.poll({ queuedStatuses: 0 })).enqueued;
  t.is(jobs.length, 2);
  const job = f.readJson(`refs/ci/jobs/${jobs[0]!.id}`, 'job.json');
  t.is(job.forge, 'github:gentoo/gentoo');
  for (const entry of jobs) await f.finish(entry.id);

  const router = (env: Record<string, string>) => {
    const io: Io = { out: () => {}, err: () => {}, env, isTTY: false };
    return new ForgeRouter({
      fixed: [],
      open: async (kind, repo) => {
        const { forge, settings } = await forgeForJobs(kind, repo, { 'api-url': f.fake.apiUrl, 'allow-http-api': true }, io);
        return new ForgePublisher({ forge, stateDir: f.collectDir, context: settings.statusContext, reportUrl: settings.reportUrl });
      },
    });
  };

  const log: string[] = [];
  t.is(await f.collect([router({ HOME: path.join(f.dir, 'empty-home') })], log), 0, 'nothing archived without a token');
  const said = log.filter((line) => line.includes('github:gentoo/gentoo'));
  t.is(said.length, 1, `one line for two jobs: ${log.join('\n')}`);
  t.regex(said[0]!, /^jobs of github:gentoo\/gentoo are left live, not published: no GitHub token: GITHUB_TOKEN is not set.*; put the token in .*github-token \(mode 0600\), set GITHUB_TOKEN/);
  t.deepEqual(f.fake.statuses.filter((s) => s.state !== 'pending'), []);

  // refci status, from the live refs: the jobs wait for publication, and why.
  const clone = await CoordClone.open(path.join(f.dir, 'status', 'coord.git'), f.coord);
  await clone.fetch(liveRefspecs());
  const report = buildStatus({ snapshot: await readSnapshot(clone), nowMs: f.fake.now + 600_000, presences: [], drains: new Map(), history: [], attemptStarts: new Map() });
  t.deepEqual(report.unpublished.map((u) => [u.forge, u.jobs]), [['github:gentoo/gentoo', 2]]);
  t.true(renderStatus(report).some((line) => /^unpublished: 2 finished job\(s\) of github:gentoo\/gentoo wait for the collector .*GITHUB_TOKEN/.test(line)));

  t.is(await f.collect([router({ GITHUB_TOKEN: TEST_TOKEN })]), 2);
  for (const pull of [one, two]) t.like(f.fake.statuses.filter((s) => s.sha === pull.headSha).at(-1), { state: 'success', context: 'gentoo-ci' });
  t.deepEqual(f.fake.comments.map((c) => c.issue).sort(), [1, 2]);
});

/**
 * The main host's lines of README.md and docs/deploy.md (cron and systemd), run as written
 * against the fake GitHub: `refci enqueue --github …` queues, and the documented `refci collect`
 * (no forge flag) publishes the verdict on the pull request. Only the coordination URL, $HOME and
 * the report folder are replaced; the API URL comes from the configuration branch, the token from
 * ~/.config/refci/github-token as the docs say.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { closeJob, closingResult } from '../../src/coord/close-job.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { liveRefspecs } from '../../src/protocol/refs.ts';
import { systemClock } from '../../src/host/clock.ts';
import { ROOT, refci, spawnRefci } from '../helpers/cli.ts';
import { scenario } from '../helpers/coord.ts';
import { startFakeForge } from '../helpers/fake-forge.ts';
import { TEST_TOKEN } from '../helpers/fake-forge-client.ts';
import { waitFor } from '../fleet/helpers.ts';

interface Documented {
  where: string;
  command: 'enqueue' | 'collect';
  args: string[];
}

/** `refci enqueue|collect --coord …` lines of a cron or systemd block, as arguments after `refci`. */
function documentedLines(file: string): Documented[] {
  const out: Documented[] = [];
  fs.readFileSync(path.join(ROOT, file), 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (!/^(\*|ExecStart=)/.test(line)) return;
      const match = /(?:^|[\s/=])refci (enqueue|collect) (--coord .*)$/.exec(line);
      if (match) out.push({ where: `${file}:${index + 1}`, command: match[1] as Documented['command'], args: match[2]!.trim().split(/\s+/) });
    });
  return out;
}

test('the documented main-host lines (README cron, deploy.md cron and systemd) queue and publish', async (t) => {
  const s = await scenario(t, 'file', 0);
  const fake = await startFakeForge({ flavor: 'github', token: TEST_TOKEN });
  t.teardown(() => fake.close());
  const home = path.join(s.dir, 'home');
  fs.mkdirSync(path.join(home, '.config', 'refci'), { recursive: true });
  fs.writeFileSync(path.join(home, '.config', 'refci', 'github-token'), `${TEST_TOKEN}\n`, { mode: 0o600 });
  const reports = path.join(s.dir, 'www');
  // Where the fake GitHub listens is this host's own setting (never the configuration branch's); http only because it is on 127.0.0.1.
  const env = { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: s.env.TMPDIR!, REFCI_GITHUB_API_URL: fake.apiUrl, REFCI_ALLOW_HTTP_API: '1' };
  const fill = (arg: string) =>
    arg
      .replace(/^(\$\{REFCI_COORD\}|\$REFCI_COORD|ssh:\/\/git@coord\/srv\/git\/refci-coord\.git)$/, s.coord)
      .replace(/^\$HOME/, home)
      .replace(/^\/var\/www\/refci$/, reports);
  const workerClone = await CoordClone.open(path.join(s.dir, 'worker', 'coord.git'), s.coord);

  const lines = [...documentedLines('README.md'), ...documentedLines('docs/deploy.md')];
  const pairs = [lines.slice(0, 2), lines.slice(2, 4), lines.slice(4, 6)];
  t.deepEqual(
    pairs.map((pair) => pair.map((line) => line.command)),
    [['enqueue', 'collect'], ['enqueue', 'collect'], ['collect', 'enqueue']],
    JSON.stringify(lines),
  );
  for (const pair of pairs) {
    const enqueue = pair.find((line) => line.command === 'enqueue')!;
    const collect = pair.find((line) => line.command === 'collect')!;
    const pull = fake.openPull();

    const queued = await refci(['enqueue', ...enqueue.args.map(fill)], { env });
    t.is(queued.exitCode, 0, `${enqueue.where}: ${queued.stderr}`);
    t.regex(queued.stdout, new RegExp(`PR #${pull.number}: enqueued`), enqueue.where);

    // A worker's result, written as a worker would (no pipeline tools needed here).
    await workerClone.fetch(liveRefspecs());
    const live = [...(await readSnapshot(workerClone)).values()].find((job) => job.job?.record.ok && job.job.record.value.pr === pull.number)!;
    t.truthy(live, enqueue.where);
    t.true(await closeJob(workerClone, { result: closingResult(live.id, 'success', 'all 1 steps passed', 'w1', 1, Date.now()), artifacts: {}, parent: live.job!.oid, actor: 'w1', clock: systemClock }));

    // The gentoo pipeline's verdict needs its scan outputs, which this result lacks: an error
    // verdict, published like any other (what matters here is that it reaches the pull request).
    const published = () => fake.statuses.some((status) => status.sha === pull.headSha && status.state !== 'pending');
    const args = collect.args.map(fill);
    if (args.includes('--once')) {
      const round = await refci(['collect', ...args], { env });
      t.is(round.exitCode, 0, `${collect.where}: ${round.stderr}`);
    } else {
      // The systemd service: a daemon; it publishes within its first rounds, then stops on SIGTERM.
      const daemon = spawnRefci(['collect', ...args], { env });
      try {
        await waitFor(`${collect.where} publishes`, published, 60_000);
      } finally {
        daemon.kill('SIGTERM');
        await daemon;
      }
    }
    t.true(published(), `${collect.where} published the verdict of PR #${pull.number}: ${JSON.stringify(fake.statuses.filter((x) => x.sha === pull.headSha))}`);
    t.true(fake.comments.some((comment) => comment.issue === pull.number), collect.where);
  }
});

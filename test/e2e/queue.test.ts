import test from 'ava';
import { git } from '../../src/git/runner.ts';
import { refci } from '../helpers/cli.ts';
import { enqueuePr, liveRefs, scenario } from '../helpers/coord.ts';

// The whole cycle of three jobs through a network transport: git daemon. Over ssh, e2e/ssh-hook runs a job from
// enqueue to archive; over HTTP, e2e/http-hook claims and is refused; the pushes of claims, results and archives
// run over all three in test/coord/remote-contract.test.ts. The local URL runs the same code on every other
// end-to-end test.
for (const transport of ['git-daemon'] as const) {
  test(`${transport}: enqueue, work and collect leave only the history, all of it reachable`, async (t) => {
    const s = await scenario(t, transport, 3);
    const ids: string[] = [];
    for (const pr of [1, 2, 3]) {
      const out = await enqueuePr(s, pr, pr === 3 ? 'fail' : 'check');
      t.is(out.exitCode, 0, out.stderr);
      ids.push(out.stdout.trim());
    }
    const again = await enqueuePr(s, 1, 'check');
    t.is(again.exitCode, 0);
    t.is(again.stdout.trim(), ids[0]);
    t.regex(again.stderr, /already queued/);

    const status = await refci(['status', '--coord', s.coord, '--json'], { env: s.env });
    t.is(JSON.parse(status.stdout).counts.queued, 3);

    const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1', '--config', s.configFile], { env: s.env });
    t.is(work.exitCode, 0, work.stderr);
    t.regex(work.stdout, /ran 3 job\(s\), published 3/);

    const collect = await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/reports`, '--config', s.configFile], { env: s.env });
    t.is(collect.exitCode, 0, collect.stderr);
    t.deepEqual(await liveRefs(s.coordPath), ['refs/ci/history']);

    const log = JSON.parse((await refci(['log', '--coord', s.coord, '--json'], { env: s.env })).stdout);
    t.deepEqual(log.map((entry: { job: string }) => entry.job).sort(), [...ids].sort());
    const byId = new Map(log.map((entry: { job: string; verdict: string }) => [entry.job, entry.verdict]));
    t.is(byId.get(ids[0]), 'success');
    t.is(byId.get(ids[2]), 'failure');

    const messages = (await git(['log', '--format=%s', 'refs/ci/history'], { cwd: s.coordPath })).stdout;
    t.regex(messages, new RegExp(`claim ${ids[0]} by w1, attempt 1, lease 2s`));
    t.regex(messages, new RegExp(`enqueue ${ids[0]}: PR #1 head`));
    t.regex(messages, new RegExp(`archive ${ids[2]}: failure: step false exited with 128`));
    const fsck = await git(['fsck', '--no-dangling'], { cwd: s.coordPath, allowFailure: true });
    t.is(fsck.exitCode, 0, fsck.stderr);

    const retry = await enqueuePr(s, 1, 'check');
    t.regex(retry.stderr, /already ran and is archived/);
  });

}

// Cancelling a superseded job is the enqueuer's and the collector's own logic: once, on the local URL.
for (const transport of ['file'] as const) {
  test(`${transport}: a newer head for the same PR cancels the queued job`, async (t) => {
    const s = await scenario(t, transport, 2);
    const first = (await enqueuePr(s, 1, 'check')).stdout.trim();
    const newer = await refci(
      ['enqueue', '--coord', s.coord, '--repo', s.source.path, '--base', 'master', '--head', 'pr/2', '--pr', '1', '--pipeline', 'check'],
      { env: s.env },
    );
    t.regex(newer.stderr, new RegExp(`cancelled ${first}: superseded by`));
    const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1'], { env: s.env });
    t.regex(work.stdout, /ran 1 job\(s\)/);
    await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/reports`], { env: s.env });
    const log = JSON.parse((await refci(['log', '--coord', s.coord, '--json'], { env: s.env })).stdout);
    const verdicts = Object.fromEntries(log.map((e: { job: string; verdict: string }) => [e.job, e.verdict]));
    t.is(verdicts[first], 'cancelled');
    t.is(verdicts[newer.stdout.trim()], 'success');
  });
}

test('errors are one line with a documented exit code', async (t) => {
  const s = await scenario(t, 'file', 1);
  const unknownFlag = await refci(['enqueue', '--bogus']);
  t.is(unknownFlag.exitCode, 2);
  t.regex(unknownFlag.stderr, /^refci enqueue: .*--bogus.*; see refci enqueue --help$/);

  const noCoord = await refci(['status']);
  t.is(noCoord.exitCode, 2);
  t.regex(noCoord.stderr, /--coord is required/);

  const badRev = await refci(['enqueue', '--coord', s.coord, '--repo', s.source.path, '--base', 'master', '--head', 'nope'], { env: s.env });
  t.is(badRev.exitCode, 5);
  t.regex(badRev.stderr, /--head nope: no such branch, tag or ref/);

  const badCoord = await refci(['status', '--coord', `${s.dir}/missing.git`], { env: s.env });
  t.is(badCoord.exitCode, 4);
  t.is(badCoord.stderr.trim().split('\n').length, 1);

  const unknownCommand = await refci(['frobnicate']);
  t.is(unknownCommand.exitCode, 2);

  const help = await refci(['work', '--help']);
  t.is(help.exitCode, 0);
  t.regex(help.stdout, /--once/);
});

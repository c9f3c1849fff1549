import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { git } from '../../src/git/runner.ts';
import { refci, startRefci } from '../helpers/cli.ts';
import { enqueuePr, scenario } from '../helpers/coord.ts';
import { readJson, refExists, sleep, waitFor } from './helpers.ts';

test('drain: the worker finishes its job, claims no more, says so; undrain resumes; status shows it all in both forms', async (t) => {
  // A step that runs until the test creates the file $GATE: the test decides when the job ends.
  const waitForGate = "const f = process.env.GATE; const t = setInterval(() => { if (require('fs').existsSync(f)) clearInterval(t); }, 50);";
  // Over file://: a drain reaches a worker on the repository's own host at once (its watcher); elsewhere within 10 s.
  const s = await scenario(t, 'file', 3, {
    pipelines: { gated: { kind: 'steps', checkout: false, steps: [{ name: 'wait', run: ['node', '-e', waitForGate], timeoutSec: 120 }] } },
  });
  const gate = path.join(s.dir, 'gate');
  const ids = [(await enqueuePr(s, 1, 'gated')).stdout.trim(), (await enqueuePr(s, 2, 'gated')).stdout.trim()];
  const daemon = startRefci(['work', '--coord', s.coord, '--worker-id', 'w1', '--config', s.configFile, '--poll-max', '1'], {
    env: { ...s.env, GATE: gate },
  });
  t.teardown(async () => {
    daemon.stop();
    await daemon.result;
  });
  // The daemon says what it did: the test waits for its lines, then looks at the repository once.
  const said = async (text: string) => t.true(await daemon.waitForLine(text), `never said ${text}:\n${daemon.stdout.join('\n')}\n${daemon.stderr.join('\n')}`);
  await said(': claimed by w1');
  const first = ids.find((id) => daemon.stdout.some((line) => line.includes(`${id}: claimed by w1`)))!;
  t.true(await refExists(s, `refs/ci/locks/${first}`));
  const second = ids.find((id) => id !== first)!;
  const drain = await refci(['worker', 'drain', 'w1', '--coord', s.coord, '--reason', 'kernel update'], { env: s.env });
  t.is(drain.exitCode, 0, drain.stderr);
  t.regex(drain.stdout, /drained w1/);
  t.regex((await refci(['worker', 'drain', 'w1', '--coord', s.coord], { env: s.env })).stdout, /w1 was already drained/);

  // While the job runs: status shows it running on w1 with its elapsed time, and w1 draining.
  // Presence is not pushed for each job: status tells the running job from the lock.
  await waitFor('the first presence', () => refExists(s, 'refs/ci/workers/w1'));
  const running = JSON.parse((await refci(['status', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  t.deepEqual(
    running.running.map((r: { id: string; worker: string; attempt: number }) => [r.id, r.worker, r.attempt]),
    [[first, 'w1', 1]],
  );
  t.true(running.running[0].elapsedSec >= 0);
  const w1 = running.workers.find((w: { id: string }) => w.id === 'w1');
  t.is(w1.state, 'running, draining');
  t.is(w1.job, first);
  t.is(w1.drainReason, 'kernel update');
  t.deepEqual(running.queue.map((q: { id: string }) => q.id), [second]);
  const text = (await refci(['status', '--coord', s.coord], { env: s.env })).stdout;
  t.regex(text, /^RUNNING$/m);
  t.regex(text, new RegExp(`^${first}\\s+gated\\s+#\\d\\s+w1\\s+1\\s+\\d+s\\s+running$`, 'm'));
  t.regex(text, new RegExp(`^QUEUED$[\\s\\S]*^${second}\\s+gated`, 'm'));
  t.regex(text, /^w1\s+running, draining\s+\S+\s+pr\d-\S+\s+noop,check,gated\s+git 2\.\d+/m);
  t.regex(text, /^ {2}w1 drained: kernel update$/m);

  // The running job finishes and is published; the other is not claimed.
  fs.writeFileSync(gate, '');
  await said(`${first}: success`);
  t.true(await refExists(s, `refs/ci/results/${first}`));
  await waitFor('the drained presence', async () => (await readJson(s, 'refs/ci/workers/w1:worker.json')).state === 'drained');
  await sleep(1500);
  t.false(await refExists(s, `refs/ci/locks/${second}`), 'a drained worker claims nothing');

  const undrain = await refci(['worker', 'undrain', 'w1', '--coord', s.coord], { env: s.env });
  t.regex(undrain.stdout, /undrained w1/);
  await said(`${second}: success`);
  t.true(await refExists(s, `refs/ci/results/${second}`));
  daemon.stop();
  const out = (await daemon.result).stdout;
  t.regex(out, /drained: claiming no more jobs \(refci worker undrain w1 resumes\)/);
  t.regex(out, /undrained: claiming again/);
  t.regex(out, /ran 2 job\(s\), published 2/);
  t.false(await refExists(s, 'refs/ci/drain/w1'));
});

test('status: queue, failures with reasons, workers and the last day\'s percentiles, as text and JSON', async (t) => {
  const s = await scenario(t, 'memory', 3);
  const ok = (await enqueuePr(s, 1, 'check')).stdout.trim();
  const failed = (await enqueuePr(s, 2, 'fail')).stdout.trim();
  const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1', '--config', s.configFile], { env: s.env });
  t.is(work.exitCode, 0, work.stderr);
  // Before the collector: the failure is live.
  const live = JSON.parse((await refci(['status', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  t.deepEqual(live.failed.map((f: { id: string; archived: boolean }) => [f.id, f.archived]), [[failed, false]]);
  await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/reports`, '--config', s.configFile], { env: s.env });
  const queued = (await enqueuePr(s, 3, 'noop')).stdout.trim();

  const json = JSON.parse((await refci(['status', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  t.is(json.counts.queued, 1);
  t.deepEqual(json.queue.map((q: { id: string }) => q.id), [queued]);
  t.deepEqual(json.running, []);
  t.is(json.failed.length, 1);
  t.is(json.failed[0].id, failed);
  t.true(json.failed[0].archived);
  t.regex(json.failed[0].reason, /step false exited with 128/);
  t.is(json.times.archived, 2);
  t.is(json.times.queueWaitSec.count, 2);
  t.is(json.times.runSec.count, 2);
  t.true(json.times.runSec.p50 <= json.times.runSec.max);
  t.is(json.workers.length, 1);
  t.is(json.workers[0].id, 'w1');
  t.is(json.workers[0].state, 'idle');
  t.regex(json.workers[0].tools.git, /^git version/);
  t.is(json.configCommit, (await git(['rev-parse', 'refs/heads/config'], { cwd: s.coordPath })).stdout.trim());
  t.true(json.jobs.some((j: { id: string }) => j.id === queued), 'the list of every live job stays');
  t.false(json.failed.some((f: { id: string }) => f.id === ok));

  const text = (await refci(['status', '--coord', s.coord], { env: s.env })).stdout;
  t.regex(text, /^configuration: [0-9a-f]{12} \(refs\/heads\/config\)$/m);
  t.regex(text, /^jobs: 1 queued$/m);
  t.regex(text, new RegExp(`^${queued}\\s+noop\\s+#3\\s+0\\s+\\d+s$`, 'm'));
  t.regex(text, /^FAILED \(live, and archived in the last 24h\)$/m);
  t.regex(text, new RegExp(`^${failed}\\s+failure\\s+fail\\s+#2\\s+w1\\s+\\S+Z\\s+step false exited with 128`, 'm'));
  t.regex(text, /^WORKER\s+STATE\s+HOST\s+JOB\s+PIPELINES\s+TOOLS\s+LAST SEEN$/m);
  t.regex(text, /^w1\s+idle\s/m);
  t.regex(text, /^LAST 24H: 2 job\(s\) archived; queue wait p50 \d+s, p90 \d+s, p99 \d+s, max \d+s; run time p50 \d+s/m);
});

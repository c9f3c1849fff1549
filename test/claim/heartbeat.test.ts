import test from 'ava';
import path from 'node:path';
import { runWorker } from '../../src/claim/worker.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { git } from '../../src/git/runner.ts';
import { systemClock } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { lockRef } from '../../src/protocol/refs.ts';
import { flakyRemote } from '../helpers/flaky-remote.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Real timers: the heartbeat loop is what is tested (lease 3 s, a beat every second).
test('a worker whose heartbeat push fails once keeps its job and publishes the result', async (t) => {
  const remote = await bareRepo(t);
  const dir = tempDir(t);
  const job = newJob({ repo: '/src', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: new Date().toISOString() });
  await enqueueJobs({ clone: await CoordClone.open(path.join(dir, 'enqueuer.git'), remote), clock: systemClock, by: 'test' }, [job]);
  const flaky = flakyRemote(remote);
  const log: string[] = [];
  const summary = await runWorker({
    coord: remote,
    workerId: 'w1',
    stateDir: path.join(dir, 'worker'),
    config: { ...defaultConfig(), leaseSec: 3 },
    clock: systemClock,
    once: true,
    log: (line) => log.push(line),
    runJob: async (run) => {
      const claimTip = (await git(['rev-parse', lockRef(job.id)], { cwd: remote })).stdout.trim();
      flaky.fail('before');
      for (let i = 0; i < 100 && !log.some((line) => line.includes('heartbeat failed, will retry')); i++) await sleep(100);
      flaky.fail('never');
      for (let i = 0; i < 100; i++) {
        if ((await git(['rev-parse', lockRef(job.id)], { cwd: remote })).stdout.trim() !== claimTip) break;
        await sleep(100);
      }
      const result = closingResult(job.id, run.signal.aborted ? 'error' : 'success', run.signal.aborted ? run.abortReason() : 'ran', 'w1', run.attempt, Date.now());
      return { result, artifacts: {} };
    },
  });
  t.regex(log.join('\n'), new RegExp(`${job.id}: heartbeat failed, will retry: .*hung up`));
  t.like(summary, { ran: 1, published: 1, lost: 0 }, log.join('\n'));
  const result = JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${job.id}:result.json`], { cwd: remote })).stdout);
  t.is(result.status, 'success');
});

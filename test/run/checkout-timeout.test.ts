import test from 'ava';
import path from 'node:path';
import { runWorker } from '../../src/claim/worker.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { systemClock } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { pipelineRunner } from '../../src/run/job-runner.ts';
import { memoryRepository, recordJson } from '../helpers/memory.ts';
import { tempDir } from '../helpers/temp.ts';
import { silentServer } from '../helpers/silent-server.ts';

test('the job timeout covers the checkout: a source repository that never answers ends the job as an error', async (t) => {
  const port = await silentServer(t);
  const remote = memoryRepository(t);
  const dir = tempDir(t);
  const job = newJob({
    repo: `git://127.0.0.1:${port}/x`,
    base: 'a'.repeat(40),
    head: 'b'.repeat(40),
    pipeline: 'check',
    createdAt: new Date().toISOString(),
    timeoutSec: 3,
  });
  await enqueueJobs({ clone: await CoordClone.open(path.join(dir, 'enqueuer.git'), remote.url), clock: systemClock, by: 'test' }, [job]);
  const config = { ...defaultConfig(), pipelines: { check: { kind: 'steps' as const, checkout: true, steps: [] } } };
  const log: string[] = [];
  const started = Date.now();
  const stateDir = path.join(dir, 'worker');
  const summary = await runWorker({
    coord: remote.url,
    workerId: 'w1',
    stateDir,
    config: config as typeof config & ReturnType<typeof defaultConfig>,
    clock: systemClock,
    once: true,
    log: (line) => log.push(line),
    runJob: pipelineRunner({ stateDir, hooks: async () => ({ beforeSteps: {}, wrap: (argv) => ({ argv, sandboxed: false }) }) }),
  });
  const tookMs = Date.now() - started;
  t.like(summary, { ran: 1, published: 1, lost: 0 }, log.join('\n'));
  const result = recordJson(remote, `refs/ci/results/${job.id}`, 'result.json');
  t.is(result.status, 'error');
  t.regex(result.reason, /timed out after 3s/);
  // 3 s of timeout plus the claim and the publish on a busy machine; far from git's own 10 min limit.
  t.true(tookMs < 30_000, `took ${tookMs} ms`);
});

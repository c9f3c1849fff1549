import test from 'ava';
import path from 'node:path';
import { runWorker } from '../../src/claim/worker.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { waitForWork } from '../../src/coord/wait.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { memoryRepository } from '../helpers/memory.ts';
import { newJob } from '../../src/protocol/job.ts';
import { bareRepo, ManualClock, tempDir } from '../helpers/temp.ts';

test('a stop that comes while a job is being claimed still hands the job back', async (t) => {
  const repository = memoryRepository(t);
  const remote = repository.url;
  const dir = tempDir(t);
  const clock = new ManualClock();
  const job = newJob({ repo: '/src', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: new Date(clock.now()).toISOString() });
  await enqueueJobs({ clone: await CoordClone.open(path.join(dir, 'enqueuer.git'), remote), clock, by: 'test' }, [job]);
  const stop = new AbortController();
  const log: string[] = [];
  const summary = await runWorker({
    coord: remote,
    workerId: 'w1',
    stateDir: path.join(dir, 'worker'),
    config: { ...defaultConfig(), leaseSec: 300 },
    clock,
    once: false,
    stop: stop.signal,
    // The signal arrives just as the claim is announced, before the job starts.
    log: (line) => {
      log.push(line);
      if (line.includes('claimed by')) stop.abort();
    },
    runJob: async (run) => {
      // A job that ends only when told to.
      if (!run.signal.aborted) await new Promise((resolve) => run.signal.addEventListener('abort', resolve, { once: true }));
      return { result: closingResult(job.id, 'cancelled', run.abortReason(), 'w1', run.attempt, clock.now()), artifacts: {} };
    },
  });
  t.like(summary, { ran: 1, published: 0, lost: 1 }, log.join('\n'));
  t.regex(log.join('\n'), new RegExp(`${job.id}: released on shutdown`));
  t.is(repository.tip(`refs/ci/locks/${job.id}`), undefined);
});

test('waiting for work after the stop came returns at once', async (t) => {
  const remote = await bareRepo(t);
  const stop = new AbortController();
  stop.abort();
  const started = Date.now();
  await waitForWork(remote, 20_000, stop.signal);
  t.true(Date.now() - started < 1000);
});

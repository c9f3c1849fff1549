import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { Lease } from '../../src/claim/lease.ts';
import { runCollector, summarise } from '../../src/collect/collector.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { archiveBatch, jobEntry } from '../../src/coord/archive.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import type { MemoryRemote } from '../../src/coord/memory-remote.ts';
import { closingResult, publishResult } from '../../src/coord/close-job.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { git } from '../../src/git/runner.ts';
import { isoOf } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { liveRefspecs } from '../../src/protocol/refs.ts';
import { flakyRemote } from '../helpers/flaky-remote.ts';
import { memoryRepository } from '../helpers/memory.ts';
import { bareRepo, ManualClock, tempDir } from '../helpers/temp.ts';

/**
 * Three jobs claimed and finished by a worker, and a collector's clone that has read them. The
 * repository is held in process unless a test breaks its transport (`git`: a bare repository).
 */
async function finishedJobs(t: ExecutionContext, count = 3, kind: 'memory' | 'git' = 'memory') {
  let remote: string;
  let repository: MemoryRemote | undefined;
  if (kind === 'git') remote = await bareRepo(t);
  else {
    repository = memoryRepository(t);
    remote = repository.url;
  }
  const dir = tempDir(t);
  const clock = new ManualClock();
  const enqueuer = await CoordClone.open(path.join(dir, 'enqueuer.git'), remote);
  const jobs = Array.from({ length: count }, (_, i) =>
    newJob({ repo: '/src', base: 'a'.repeat(40), head: `${i + 1}`.repeat(40), pipeline: 'noop', createdAt: isoOf(clock.now() + i) }),
  );
  await enqueueJobs({ clone: enqueuer, clock, by: 'test' }, jobs);
  const worker = await CoordClone.open(path.join(dir, 'worker.git'), remote);
  await worker.fetch(liveRefspecs());
  const view = await readSnapshot(worker);
  for (const job of jobs) {
    const jobOid = view.get(job.id)!.job!.oid;
    const lease = await Lease.acquire(worker, { id: 'w1', host: 'h', leaseSec: 30, tools: {} }, { id: job.id, job, jobOid, attempt: 1, expect: null }, clock);
    if (!lease) throw new Error('claim lost with no competitor');
    const result = closingResult(job.id, 'success', 'all 0 steps passed', 'w1', 1, clock.now());
    const pushed = await publishResult(worker, { result, artifacts: {}, parent: lease.tip, lockTip: lease.tip, jobOid, actor: 'w1', clock });
    if (!pushed.won) throw new Error(`result not pushed: ${pushed.cause}`);
  }
  const collector = await CoordClone.open(path.join(dir, 'collector.git'), remote);
  await collector.fetch(liveRefspecs({ history: true }));
  const snapshot = await readSnapshot(collector);
  const entries = jobs.map((job) => {
    const live = snapshot.get(job.id)!;
    return jobEntry(collector, live, summarise(live, { status: 'success', reason: 'ok', reports: {} }, clock.now()), {});
  });
  return { remote, repository, dir, clock, jobs, enqueuer, collector, entries };
}

const LIVE = ['refs/ci/jobs/', 'refs/ci/locks/', 'refs/ci/results/', 'refs/ci/cancel/'];

async function liveRefsOn(remote: string, repository?: MemoryRemote): Promise<string[]> {
  if (repository) return LIVE.flatMap((prefix) => [...repository.refsUnder(prefix).keys()]);
  const out = await git(['for-each-ref', '--format=%(refname)', ...LIVE], { cwd: remote });
  return out.stdout.split('\n').filter(Boolean);
}

/** The subjects of the history's commits, the first-parent line only or every commit it reaches. */
async function historySubjects(remote: string, repository: MemoryRemote | undefined, firstParent: boolean): Promise<string[]> {
  if (repository) return repository.subjects('refs/ci/history', { firstParent });
  const out = await git(['log', ...(firstParent ? ['--first-parent'] : []), '--format=%s', 'refs/ci/history'], { cwd: remote, allowFailure: true });
  return out.stdout.split('\n').filter(Boolean);
}

async function archivedInHistory(remote: string, repository?: MemoryRemote): Promise<string[]> {
  return (await historySubjects(remote, repository, true)).filter((line) => line.startsWith('archive ')).map((line) => line.split(' ')[1]!.replace(/:$/, ''));
}

test('one push archives a whole batch: one history commit per job, every live ref gone', async (t) => {
  const { remote, repository, clock, jobs, collector, entries } = await finishedJobs(t);
  const outcome = await archiveBatch(collector, entries, 'c1', clock);
  t.true(outcome.last.won, outcome.last.cause);
  t.deepEqual(outcome.archived.sort(), jobs.map((job) => job.id).sort());
  t.deepEqual(await liveRefsOn(remote, repository), []);
  t.deepEqual((await archivedInHistory(remote, repository)).sort(), jobs.map((job) => job.id).sort());
  // The history reaches each job's whole chain.
  const reached = (await historySubjects(remote, repository, false)).join('\n');
  for (const job of jobs) t.regex(reached, new RegExp(`result ${job.id}`));
});

test('a batch in which one job changed under its lease archives the others and leaves that one live for the next round', async (t) => {
  const { remote, repository, dir, clock, jobs, enqueuer, collector, entries } = await finishedJobs(t);
  const [, moved] = jobs;
  // A cancel pushed by another writer after the collector read the job: its "must not exist" lease on the cancel ref fails.
  const jobOid = repository!.tip(`refs/ci/jobs/${moved!.id}`)!;
  t.true((await enqueuer.push([{ ref: `refs/ci/cancel/${moved!.id}`, newOid: jobOid, expect: null }])).won);
  const outcome = await archiveBatch(collector, entries, 'c1', clock);
  t.true(outcome.last.won, outcome.last.cause);
  t.deepEqual(outcome.changed, [moved!.id]);
  t.deepEqual(outcome.archived.sort(), jobs.filter((job) => job !== moved).map((job) => job.id).sort());
  t.deepEqual((await liveRefsOn(remote, repository)).filter((ref) => !ref.endsWith(moved!.id)), []);
  t.is((await liveRefsOn(remote, repository)).length, 4, 'the moved job keeps all its refs');
  t.false((await archivedInHistory(remote, repository)).includes(moved!.id));
  // The next round reads the job as it is now and archives it, once.
  const log: string[] = [];
  const round = await runCollector({ coord: remote, collectorId: 'c1', stateDir: path.join(dir, 'collector-state'), config: defaultConfig(), clock, once: true, log: (line) => log.push(line), publishers: [] });
  t.is(round.archived, 1, log.join('\n'));
  t.deepEqual(await liveRefsOn(remote, repository), []);
  const archived = await archivedInHistory(remote, repository);
  t.is(archived.length, 3);
  t.is(new Set(archived).size, 3, 'no job archived twice');
});

test('a batch whose push fails in transport archives nothing; the next round archives every job once', async (t) => {
  const { remote, dir, clock, jobs, collector, entries } = await finishedJobs(t, 3, 'git');
  const flaky = flakyRemote(remote);
  flaky.fail('before');
  const outcome = await archiveBatch(collector, entries, 'c1', clock);
  t.is(outcome.last.outcome, 'failed');
  t.deepEqual(outcome.archived, []);
  t.deepEqual(outcome.changed, []);
  t.is((await liveRefsOn(remote)).length, jobs.length * 3, 'job, lock and result of every job are still live');
  t.deepEqual(await archivedInHistory(remote), []);
  flaky.fail('never');
  const log: string[] = [];
  const round = await runCollector({ coord: remote, collectorId: 'c1', stateDir: path.join(dir, 'collector-state'), config: defaultConfig(), clock, once: true, log: (line) => log.push(line), publishers: [] });
  t.is(round.archived, jobs.length, log.join('\n'));
  t.deepEqual(await liveRefsOn(remote), []);
  t.deepEqual((await archivedInHistory(remote)).sort(), jobs.map((job) => job.id).sort());
});

test('a collector round whose batch push fails leaves every job live and says why', async (t) => {
  const { remote, dir, clock, jobs } = await finishedJobs(t, 2, 'git');
  const flaky = flakyRemote(remote);
  flaky.fail('before');
  const log: string[] = [];
  const round = await runCollector({ coord: remote, collectorId: 'c1', stateDir: path.join(dir, 'collector-state'), config: defaultConfig(), clock, once: true, log: (line) => log.push(line), publishers: [] });
  t.is(round.archived, 0);
  for (const job of jobs) t.true(log.some((line) => line.startsWith(`${job.id}: not archived, trying again next round:`)), log.join('\n'));
  t.is((await liveRefsOn(remote)).length, jobs.length * 3);
});

/**
 * A fleet on one machine for the benchmarks: `refci work` daemons and a
 * `refci collect` daemon on one coordination repository, as production runs
 * them (separate processes, each its own clone), and the means to enqueue jobs
 * and to see when they are done.
 */
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { CoordClone } from '../src/coord/clone.ts';
import { enqueueJobs } from '../src/enqueue/enqueue.ts';
import { git } from '../src/git/runner.ts';
import { systemClock } from '../src/host/clock.ts';
import { newJob, type JobDescriptor } from '../src/protocol/job.ts';

export interface FleetOptions {
  root: string;
  bin: string;
  /** The coordination repository as the hosts are given it (a path, file:// or git:// URL). */
  coord: string;
  workers: number;
  collector: boolean;
  /** REFCI_GIT_TRACE for every process. */
  trace?: string;
  /** A local configuration file for workers and collector (--config). */
  config?: string;
  /** A name for the run's state folders. */
  label: string;
  extraWorkerArgs?: string[];
}

export interface Fleet {
  stop(): Promise<void>;
}

export function startFleet(options: FleetOptions): Fleet {
  const env = {
    ...process.env,
    REFCI_STATE_DIR: path.join(options.root, `${options.label}-state`),
    REFCI_ALLOW_LOCAL_REPOS: '1',
    ...(options.trace ? { REFCI_GIT_TRACE: options.trace } : {}),
  };
  const config = options.config ? ['--config', options.config] : [];
  const daemons: ResultPromise[] = [];
  for (let n = 0; n < options.workers; n++) {
    daemons.push(execa('node', [options.bin, 'work', '--coord', options.coord, '--worker-id', `w${n}`, ...config, ...(options.extraWorkerArgs ?? [])], { env, stdin: 'ignore', reject: false, forceKillAfterDelay: 60_000 }));
  }
  if (options.collector) {
    daemons.push(execa('node', [options.bin, 'collect', '--coord', options.coord, '--out', path.join(options.root, `${options.label}-reports`), ...config], { env, stdin: 'ignore', reject: false, forceKillAfterDelay: 60_000 }));
  }
  return {
    async stop() {
      for (const daemon of daemons) daemon.kill('SIGTERM');
      const ended = await Promise.all(daemons);
      for (const end of ended) {
        if (end.exitCode !== 0 && end.signal !== 'SIGTERM') console.error(`a daemon ended with ${end.exitCode ?? end.signal}: ${String(end.stderr).slice(-2000)}`);
      }
    },
  };
}

export function noopJobs(count: number, salt: string, pipeline = 'noop'): JobDescriptor[] {
  const hex = Buffer.from(salt).toString('hex');
  return Array.from({ length: count }, (_, i) =>
    newJob({ repo: '/nowhere', base: 'a'.repeat(40), head: `${hex}${i.toString(16).padStart(8, '0')}`.padStart(40, '0').slice(-40), pipeline, createdAt: new Date(Date.now() + i).toISOString() }),
  );
}

/** Enqueues the jobs in one atomic push, as one discovery poll does. */
export async function enqueue(root: string, coord: string, label: string, jobs: JobDescriptor[]): Promise<void> {
  const clone = await CoordClone.open(path.join(root, `${label}-enqueuer.git`), coord);
  await enqueueJobs({ clone, clock: systemClock, by: 'bench' }, jobs);
}

/** Refs of the repository at `dir` under each prefix, counted. */
export async function refCounts(dir: string, prefixes: string[]): Promise<Record<string, number>> {
  const out = await git(['for-each-ref', '--format=%(refname)', ...prefixes], { cwd: dir });
  const counts = Object.fromEntries(prefixes.map((prefix) => [prefix, 0]));
  for (const ref of out.stdout.split('\n').filter(Boolean)) {
    const prefix = prefixes.find((p) => ref.startsWith(p));
    if (prefix) counts[prefix]! += 1;
  }
  return counts;
}

/** Waits until `done` says so, looking every `everyMs`; throws after `limitMs`. */
export async function waitFor(what: string, done: () => Promise<boolean>, limitMs: number, everyMs = 200): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${limitMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Whether every job has left the live refs (archived), from the repository's own folder. */
export async function allArchived(dir: string): Promise<boolean> {
  const counts = await refCounts(dir, ['refs/ci/jobs/', 'refs/ci/results/']);
  return counts['refs/ci/jobs/'] === 0 && counts['refs/ci/results/'] === 0;
}

/** Whether every one of `total` jobs has a result (published, archived or not). */
export async function allResults(dir: string, total: number): Promise<boolean> {
  const counts = await refCounts(dir, ['refs/ci/jobs/', 'refs/ci/results/']);
  // A job with a result keeps its job ref until archived; an archived one has neither.
  return total - counts['refs/ci/jobs/']! + counts['refs/ci/results/']! >= total;
}

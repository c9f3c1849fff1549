/**
 * From a job enqueued to its verdict archived, with an idle daemon worker and
 * an idle daemon collector running, as in production: the coordination
 * repository's path and the same repository as a file:// URL. No-op jobs, so
 * what is measured is the coordination: wake-ups, fetches, pushes.
 */
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CoordClone } from '../src/coord/clone.ts';
import { enqueueJobs } from '../src/enqueue/enqueue.ts';
import { git } from '../src/git/runner.ts';
import { systemClock } from '../src/host/clock.ts';
import { newJob } from '../src/protocol/job.ts';

export interface Latencies {
  transport: string;
  median: number;
  p90: number;
  runs: number;
}

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))];

async function archived(remote: string, id: string): Promise<boolean> {
  if (fs.existsSync(path.join(remote, 'refs', 'ci', 'jobs', id))) return false;
  const out = await git(['show-ref', '--verify', '--quiet', `refs/ci/jobs/${id}`], { cwd: remote, allowFailure: true });
  return out.exitCode !== 0;
}

export async function enqueueToArchive(root: string, bin: string, transport: 'path' | 'file://', runs: number): Promise<Latencies> {
  const remote = path.join(root, `latency-${transport === 'path' ? 'path' : 'file'}.git`);
  await execa('node', [bin, 'init', remote]);
  const coord = transport === 'path' ? remote : pathToFileURL(remote).href;
  const env = (name: string) => ({ ...process.env, REFCI_STATE_DIR: path.join(root, `latency-${name}-${transport === 'path' ? 'p' : 'f'}`), REFCI_ALLOW_LOCAL_REPOS: '1' });
  const daemons: ResultPromise[] = [
    execa('node', [bin, 'work', '--coord', coord, '--worker-id', 'w1'], { env: env('worker'), stdin: 'ignore', reject: false }),
    execa('node', [bin, 'collect', '--coord', coord, '--out', path.join(root, 'latency-out')], { env: env('collector'), stdin: 'ignore', reject: false }),
  ];
  const clone = await CoordClone.open(path.join(root, `latency-enqueuer-${transport === 'path' ? 'p' : 'f'}.git`), coord);
  const times: number[] = [];
  try {
    // The daemons' first rounds (clone, configuration, presence) are not part of a job's latency.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    for (let run = 0; run < runs; run++) {
      const job = newJob({ repo: '/nowhere', base: 'a'.repeat(40), head: (run + 1).toString(16).padStart(40, '0'), pipeline: 'noop', createdAt: new Date().toISOString() });
      await enqueueJobs({ clone, clock: systemClock, by: 'bench' }, [job]);
      const start = process.hrtime.bigint();
      while (!(await archived(remote, job.id))) await new Promise((resolve) => setTimeout(resolve, 10));
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      // Idle again between runs, as a fleet between two pull requests.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    for (const daemon of daemons) daemon.kill('SIGTERM');
    await Promise.all(daemons);
  }
  return { transport, median: quantile(times, 0.5), p90: quantile(times, 0.9), runs };
}

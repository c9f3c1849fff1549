/**
 * From a job enqueued to its verdict archived, with an idle daemon worker and
 * an idle daemon collector running, as in production: the coordination
 * repository's path, the same repository as a file:// URL, and served by
 * `git daemon` (git://) and by a private sshd on 127.0.0.1 (ssh://), which
 * the daemons cannot watch and poll instead (`--poll-max`). No-op jobs, so
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
import { startGitDaemon } from '../test/helpers/git-daemon.ts';
import { keyPair, startSshd } from '../test/helpers/sshd.ts';

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

export type Transport = 'path' | 'file://' | 'git://' | 'ssh://';

/**
 * `pollMaxSec` is given to both daemons (`--poll-max`; the collector polls
 * every half second while jobs run): over git:// it is the interval of the
 * idle worker's polls, which bounds how soon a new job is seen; over ssh://
 * likewise, each poll one ssh login.
 */
export async function enqueueToArchive(root: string, bin: string, transport: Transport, runs: number, pollMaxSec = 2): Promise<Latencies> {
  const name = ({ path: 'p', 'file://': 'f', 'git://': 'g', 'ssh://': 's' } as const)[transport];
  const remote = path.join(root, `latency-${name}.git`);
  await execa('node', [bin, 'init', remote]);
  const served = await serve(root, transport, remote);
  const coord = served.url;
  // The enqueuer below runs git in this process: it reaches an ssh:// repository with the same command as the daemons.
  // Set for this measurement only: later ones reach their repositories with this process's own settings.
  const sshBefore = process.env.GIT_SSH_COMMAND;
  if (served.sshCommand) process.env.GIT_SSH_COMMAND = served.sshCommand;
  const env = (role: string) => ({ ...process.env, REFCI_STATE_DIR: path.join(root, `latency-${role}-${name}`), REFCI_ALLOW_LOCAL_REPOS: '1' });
  const poll = ['--poll-max', String(pollMaxSec)];
  const daemons: ResultPromise[] = [
    execa('node', [bin, 'work', '--coord', coord, '--worker-id', 'w1', ...poll], { env: env('worker'), stdin: 'ignore', reject: false, forceKillAfterDelay: 60_000 }),
    execa('node', [bin, 'collect', '--coord', coord, '--out', path.join(root, `latency-out-${name}`), ...poll], { env: env('collector'), stdin: 'ignore', reject: false, forceKillAfterDelay: 60_000 }),
  ];
  const clone = await CoordClone.open(path.join(root, `latency-enqueuer-${name}.git`), coord);
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
    await served.stop();
    if (sshBefore === undefined) delete process.env.GIT_SSH_COMMAND;
    else process.env.GIT_SSH_COMMAND = sshBefore;
  }
  return { transport, median: quantile(times, 0.5), p90: quantile(times, 0.9), runs };
}

/** The URL hosts reach `remote` by over `transport`, the ssh command for ssh://, and how to stop its server. */
async function serve(root: string, transport: Transport, remote: string): Promise<{ url: string; sshCommand?: string; stop: () => Promise<void> }> {
  switch (transport) {
    case 'path':
      return { url: remote, stop: async () => {} };
    case 'file://':
      return { url: pathToFileURL(remote).href, stop: async () => {} };
    case 'git://': {
      const daemon = await startGitDaemon(path.dirname(remote));
      return { url: daemon.url(path.basename(remote)), stop: daemon.stop };
    }
    case 'ssh://': {
      const dir = fs.mkdtempSync(path.join(root, 'sshd-'));
      const client = await keyPair(dir, 'client');
      const sshd = await startSshd(dir, `${client.publicKey}\n`, { bench: client.file });
      return { url: `ssh://coord-bench${remote}`, sshCommand: sshd.sshCommand, stop: async () => sshd.stop() };
    }
  }
}

/**
 * `npm run chaos`: worker and collector daemons on one coordination
 * repository under random kills, pauses longer than the lease and network
 * cuts, then drained, stopped and audited (`refci audit --quiescent`).
 * Exits 1 when the audit finds a violation, the queue does not drain, or a
 * daemon exits by itself. Settings, from the environment:
 *   CHAOS_SECONDS (600) of faults, CHAOS_WORKERS (16), CHAOS_COLLECTORS (2),
 *   CHAOS_TRANSPORT (daemon: git daemon on 127.0.0.1, every other worker
 *   behind a proxy whose network is cut; path: the repository's folder, no cuts),
 *   CHAOS_LEASE_SEC (6), CHAOS_JOB_MS (3000: each job's one step, longer than the heartbeat interval
 *   of a third of the lease, so that jobs renew their lease), CHAOS_BACKLOG (2: jobs kept queued per worker),
 *   CHAOS_POLL_MAX_SEC (5: an idle worker's longest sleep between looks at the queue),
 *   CHAOS_FAULT_EVERY_MS (1500: a fault about this often),
 *   CHAOS_DRAIN_SEC (300), CHAOS_KEEP=1 keeps the folder (logs of every daemon, the repository).
 */
import { chaosLines, chaosProblems, runChaos } from './chaos/run.ts';

const number = (name: string, fallback: number) => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
};
const transport = process.env.CHAOS_TRANSPORT ?? 'daemon';
if (transport !== 'daemon' && transport !== 'path') throw new Error(`CHAOS_TRANSPORT must be daemon or path, not ${JSON.stringify(transport)}`);

// The daemons run in process groups of their own, which a terminal's ^C does not reach: stop them first.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(130);
    console.log(`${signal}: stopping the fleet (again to exit at once, leaving it running)`);
    stop.abort();
  });
}

const figures = await runChaos({
  stop: stop.signal,
  seconds: number('CHAOS_SECONDS', 600),
  workers: number('CHAOS_WORKERS', 16),
  collectors: number('CHAOS_COLLECTORS', 2),
  transport,
  leaseSec: number('CHAOS_LEASE_SEC', 6),
  jobMs: number('CHAOS_JOB_MS', 3000),
  backlog: number('CHAOS_BACKLOG', 2),
  pollMaxSec: number('CHAOS_POLL_MAX_SEC', 5),
  faultEveryMs: number('CHAOS_FAULT_EVERY_MS', 1500),
  drainSec: number('CHAOS_DRAIN_SEC', 300),
  keep: process.env.CHAOS_KEEP === '1',
  log: (line) => console.log(`${new Date().toISOString()} ${line}`),
});
console.log('');
for (const line of chaosLines(figures)) console.log(line);
const problems = chaosProblems(figures);
for (const problem of problems) console.log(`PROBLEM ${problem}`);
if (process.env.CHAOS_KEEP === '1') console.log(`kept: ${figures.dir}`);
process.exitCode = problems.length > 0 ? 1 : 0;

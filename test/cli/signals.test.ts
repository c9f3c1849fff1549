import os from 'node:os';
import test from 'ava';
import { execa, type ResultPromise } from 'execa';
import { git } from '../../src/git/runner.ts';
import { REFCI, refci } from '../helpers/cli.ts';
import { enqueuePr, scenario, type Scenario } from '../helpers/coord.ts';

/**
 * Daemons stopped by a signal, on a coordination repository given as a path
 * (watched) and a git daemon URL (polled): the processes are the point
 * (signal handlers, timers and watchers that keep node's event loop alive).
 * A file:// URL is watched as its folder is (test/coord/wait.test.ts).
 */

/** Starts a daemon; execa's own SIGKILL five seconds after a signal is off, so the test sees how long the daemon takes. */
function spawnRefci(args: string[], options: { env: Record<string, string> }): ResultPromise {
  return execa('node', [REFCI, ...args], { reject: false, env: options.env, stdin: 'ignore', buffer: true, forceKillAfterDelay: false });
}

/** Resolves once the process has said `text` on stdout; fails with what it said otherwise. */
async function saw(child: ResultPromise, text: string | RegExp, timeoutMs = 60_000): Promise<void> {
  let seen = '';
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += String(chunk);
      if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) done(true);
    };
    const done = (value: boolean) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(value);
    };
    child.stdout?.on('data', onData);
    child.then(() => done(false), () => done(false));
  });
  if (!ok) {
    child.kill('SIGKILL');
    const end = await child;
    throw new Error(`never said ${text}:\n${String(end.stdout)}\n${String(end.stderr)}`);
  }
}

/** Sends `signal` and measures how long the process takes to exit (killed after 30 s so a failure still ends). */
/**
 * A time limit the daemon must stop within: `ms` on an idle machine,
 * stretched by how busy the machine is now (1-minute load per core), so a
 * test run beside others measures the daemon, not the contention. The
 * guard that kills a daemon after 30 s stays absolute.
 */
function limitMs(ms: number): number {
  return Math.round(ms * Math.max(1, os.loadavg()[0]! / Math.max(1, os.cpus().length)));
}

async function stopWith(child: ResultPromise, signal: NodeJS.Signals = 'SIGTERM') {
  const started = Date.now();
  child.kill(signal);
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const end = await child;
  clearTimeout(guard);
  return { ms: Date.now() - started, end };
}

/** Waits until `ref` exists in the coordination repository (a daemon's first round is done). */
async function refAppears(coordPath: string, ref: string, child: ResultPromise, timeoutMs = 60_000): Promise<void> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; ) {
    if ((await git(['rev-parse', '--verify', '--quiet', ref], { cwd: coordPath, allowFailure: true })).exitCode === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  const end = await child;
  throw new Error(`${ref} never appeared:\n${String(end.stdout)}\n${String(end.stderr)}`);
}

/** The coordination repository as a path (watched) and a git daemon URL (polled). */
const PLACES = [
  { name: 'a path', transport: 'file', coord: (s: Scenario) => s.coordPath },
  { name: 'git daemon', transport: 'git-daemon', coord: (s: Scenario) => s.coord },
] as const;

for (const place of PLACES) {
  test(`an idle worker daemon on ${place.name} exits within 10 s of SIGTERM`, async (t) => {
    const s = await scenario(t, place.transport, 1);
    const worker = spawnRefci(['work', '--coord', place.coord(s), '--worker-id', 'w1', '--config', s.configFile], { env: s.env });
    await refAppears(s.coordPath, 'refs/ci/workers/w1', worker);
    // Let it fall asleep between polls, watching the refs.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { ms, end } = await stopWith(worker);
    t.true(ms < limitMs(10_000) && end.signal === undefined, `took ${ms} ms (limit ${limitMs(10_000)} ms at this load), ${end.signal}\n${String(end.stdout)}\n${String(end.stderr)}`);
    t.is(end.exitCode, 0, String(end.stderr));
    t.regex(String(end.stdout), /w1: ran 0 job/);
  });
}

test('a second signal ends a stopping worker at once', async (t) => {
  const s = await scenario(t, 'file', 1);
  const worker = spawnRefci(['work', '--coord', s.coordPath, '--worker-id', 'w1', '--config', s.configFile], { env: s.env });
  await refAppears(s.coordPath, 'refs/ci/workers/w1', worker);
  worker.kill('SIGTERM');
  await saw(worker, 'SIGTERM: stopping');
  const { ms, end } = await stopWith(worker, 'SIGINT');
  t.true(ms < limitMs(2000), `took ${ms} ms (limit ${limitMs(2000)} ms at this load)`);
  t.is(end.exitCode, 130, `${String(end.stdout)}\n${String(end.stderr)}`);
});

test('a worker running a job hands it back on SIGTERM and exits within 10 s; another worker claims it at once', async (t) => {
  const s = await scenario(t, 'file', 1);
  const id = (await enqueuePr(s, 1, 'sleep')).stdout.trim();
  const worker = spawnRefci(['work', '--coord', s.coordPath, '--worker-id', 'w1', '--config', s.configFile], { env: { ...s.env, SLEEP_MS: '600000' } });
  await saw(worker, `${id}: claimed by w1`);
  const { ms, end } = await stopWith(worker);
  t.true(ms < limitMs(10_000) && end.signal === undefined, `took ${ms} ms (limit ${limitMs(10_000)} ms at this load), ${end.signal}\n${String(end.stdout)}\n${String(end.stderr)}`);
  t.regex(String(end.stdout), new RegExp(`${id}: released on shutdown`));
  const lock = await git(['rev-parse', '--verify', '--quiet', `refs/ci/locks/${id}`], { cwd: s.coordPath, allowFailure: true });
  t.not(lock.exitCode, 0, 'the lock is gone');
  const next = await refci(['work', '--coord', s.coordPath, '--once', '--worker-id', 'w2', '--config', s.configFile], { env: { ...s.env, SLEEP_MS: '0' } });
  t.regex(next.stdout, new RegExp(`${id}: claimed by w2, attempt 1`));
});

for (const place of PLACES) {
  test(`a collector daemon on ${place.name} exits within 10 s of SIGTERM`, async (t) => {
    const s = await scenario(t, place.transport, 1);
    const id = (await enqueuePr(s, 1, 'sleep')).stdout.trim();
    t.is((await refci(['cancel', '--coord', s.coordPath, id], { env: s.env })).exitCode, 0);
    const collector = spawnRefci(['collect', '--coord', place.coord(s), '--out', `${s.dir}/reports`, '--config', s.configFile], { env: s.env });
    await saw(collector, `${id}: cancelled`);
    // Let it fall asleep between polls, watching the refs.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { ms, end } = await stopWith(collector);
    t.true(ms < limitMs(10_000) && end.signal === undefined, `took ${ms} ms (limit ${limitMs(10_000)} ms at this load), ${end.signal}\n${String(end.stdout)}\n${String(end.stderr)}`);
    t.is(end.exitCode, 0, String(end.stderr));
    t.regex(String(end.stdout), /collector: archived 1 job/);
  });
}

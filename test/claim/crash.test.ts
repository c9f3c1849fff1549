import test from 'ava';
import type { ResultPromise } from 'execa';
import { git } from '../../src/git/runner.ts';
import { refci, spawnRefci, startRefci } from '../helpers/cli.ts';
import { cronUntilResult, enqueuePr, scenario, type Scenario } from '../helpers/coord.ts';


/**
 * Waits for the worker to say it claimed the job (it says so once the lock is
 * pushed), then checks the lock is there. A worker that exits first, or a wait
 * that runs out, fails with what the worker said, so a failure shows its cause.
 */
async function waitForLock(s: Scenario, id: string, worker: ResultPromise, timeoutMs = 60_000): Promise<string> {
  const ref = `refs/ci/locks/${id}`;
  const claimed = await new Promise<boolean>((resolve) => {
    let seen = '';
    const timer = setTimeout(() => done(false), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += String(chunk);
      if (seen.includes(`${id}: claimed by `)) done(true);
    };
    const done = (ok: boolean) => {
      clearTimeout(timer);
      worker.stdout?.off('data', onData);
      resolve(ok);
    };
    worker.stdout?.on('data', onData);
    worker.then(() => done(false), () => done(false));
  });
  if (claimed) {
    const out = await git(['rev-parse', '--verify', '--quiet', ref], { cwd: s.coordPath, allowFailure: true });
    if (out.exitCode === 0) return out.stdout.trim();
  }
  worker.kill('SIGKILL');
  const done = await worker;
  throw new Error(`${ref} did not appear (worker exit ${done.exitCode ?? done.signal}):\n${String(done.stdout)}\n${String(done.stderr)}`);
}

async function refExistsIn(s: Scenario, ref: string): Promise<boolean> {
  return (await git(['rev-parse', '--verify', '--quiet', ref], { cwd: s.coordPath, allowFailure: true })).exitCode === 0;
}

async function resultOf(s: Scenario, id: string) {
  return JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${id}:result.json`], { cwd: s.coordPath })).stdout);
}

// One SIGKILL takeover, over a local path: the lock's swap over each transport is tested in
// test/coord/remote-contract.test.ts and test/git/push.test.ts.
test('a worker killed with SIGKILL mid-job: another takes over after the lease and finishes it', async (t) => {
  const s = await scenario(t, 'file', 1);
  const id = (await enqueuePr(s, 1, 'sleep')).stdout.trim();
  const first = spawnRefci(['work', '--coord', s.coord, '--worker-id', 'doomed', '--config', s.configFile], {
    env: { ...s.env, SLEEP_MS: '600000' },
  });
  await waitForLock(s, id, first);
  first.kill('SIGKILL');
  await first;
  const log = await cronUntilResult(s, id, 'rescuer');
  t.regex(log, new RegExp(`${id}: claimed by rescuer, attempt 2`));
  const result = await resultOf(s, id);
  t.is(result.worker, 'rescuer');
  t.is(result.attempt, 2);
  t.is(result.status, 'success');
  const chain = (await git(['log', '--format=%s', `refs/ci/results/${id}`], { cwd: s.coordPath })).stdout;
  t.regex(chain, new RegExp(`takeover ${id} by rescuer from doomed, attempt 2`));
});

test('a worker that stalls past its lease cannot publish its late result', async (t) => {
  const s = await scenario(t, 'file', 1);
  const id = (await enqueuePr(s, 1, 'sleep')).stdout.trim();
  const stalled = spawnRefci(['work', '--coord', s.coord, '--once', '--worker-id', 'stalled', '--config', s.configFile], {
    env: { ...s.env, SLEEP_MS: '4000' },
  });
  await waitForLock(s, id, stalled);
  stalled.kill('SIGSTOP');
  await cronUntilResult(s, id, 'rescuer');
  stalled.kill('SIGCONT');
  const late = await stalled;
  t.regex(String(late.stdout), /lease lost to another worker; result discarded|result rejected/);
  t.regex(String(late.stdout), /published 0, lost 1/);
  const result = await resultOf(s, id);
  t.is(result.worker, 'rescuer');
});

test('a job whose workers keep dying fails after its attempts, with the reason kept', async (t) => {
  const s = await scenario(t, 'file', 1);
  const id = (await enqueuePr(s, 1, 'sleep', ['--max-attempts', '1'])).stdout.trim();
  const first = spawnRefci(['work', '--coord', s.coord, '--worker-id', 'doomed', '--config', s.configFile], {
    env: { ...s.env, SLEEP_MS: '600000' },
  });
  await waitForLock(s, id, first);
  first.kill('SIGKILL');
  await first;
  await cronUntilResult(s, id, 'sweeper');
  const result = await resultOf(s, id);
  t.is(result.status, 'error');
  t.regex(result.reason, /lease of doomed expired on attempt 1 of 1/);
});

test('a cancel stops a running job at its next heartbeat and kills its processes', async (t) => {
  const s = await scenario(t, 'file', 1);
  const id = (await enqueuePr(s, 1, 'sleep')).stdout.trim();
  // The worker runs in this process: the cancel, not the process, is the point.
  const worker = startRefci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1', '--config', s.configFile], {
    env: { ...s.env, SLEEP_MS: '600000' },
  });
  t.teardown(async () => {
    worker.stop();
    await worker.result;
  });
  if (!(await worker.waitForLine(`${id}: claimed by `))) {
    worker.stop();
    const ended = await worker.result;
    throw new Error(`the worker did not claim ${id} (exit ${ended.exitCode}):\n${ended.stdout}\n${ended.stderr}`);
  }
  t.true(await refExistsIn(s, `refs/ci/locks/${id}`));
  const cancel = await refci(['cancel', '--coord', s.coord, '--reason', 'not wanted', id], { env: s.env });
  t.is(cancel.exitCode, 0, cancel.stderr);
  const done = await worker.result;
  t.is(done.exitCode, 0);
  const result = await resultOf(s, id);
  t.is(result.status, 'cancelled');
  t.is(result.steps[0].cancelled, true);
});

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { git } from '../../src/git/runner.ts';
import { localRepository, WorkSignal } from '../../src/coord/wait.ts';
import { tempDir } from '../helpers/temp.ts';

async function bare(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = path.join(tempDir(t), 'coord.git');
  await git(['init', '--quiet', '--bare', dir]);
  fs.mkdirSync(path.join(dir, 'refs', 'ci'), { recursive: true });
  return dir;
}

test('a local repository is a path or a file:// URL; anything else is remote', async (t) => {
  const dir = await bare(t);
  t.is(localRepository(dir), dir);
  t.is(localRepository(pathToFileURL(dir).href), dir);
  for (const remote of ['ssh://host/srv/coord.git', 'git://127.0.0.1/coord.git', 'https://example.org/coord.git', 'refci@host:coord.git', path.join(dir, 'missing')]) {
    t.is(localRepository(remote), undefined, remote);
  }
});

test('a ref that lands during a round wakes the next wait at once, over a path and a file:// URL', async (t) => {
  const dir = await bare(t);
  const tree = (await git(['mktree'], { cwd: dir, input: '' })).stdout.trim();
  const commit = (await git(['commit-tree', '-m', 'x', tree], { cwd: dir })).stdout.trim();
  for (const [index, coord] of [dir, pathToFileURL(dir).href].entries()) {
    const signal = await WorkSignal.open(coord);
    t.true(signal.watching);
    signal.arm();
    // "During the round": before wait() is called.
    await git(['update-ref', `refs/ci/jobs/landed-${index}`, commit], { cwd: dir });
    const stop = new AbortController();
    // The stop is the test's own limit: the wait must return long before it.
    const limit = setTimeout(() => stop.abort(), 20_000);
    await signal.wait(60_000, stop.signal);
    clearTimeout(limit);
    t.false(stop.signal.aborted, `the change was missed for ${coord}`);
    // Armed again, nothing landed: the wait sleeps its length (a short one here).
    signal.arm();
    let slept = false;
    await Promise.race([signal.wait(300).then(() => (slept = true)), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    t.true(slept);
    await signal.close();
  }
});

test('a remote repository gets a plain sleep that a stop ends', async (t) => {
  const signal = await WorkSignal.open('ssh://host.invalid/coord.git');
  t.false(signal.watching);
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 50);
  await signal.wait(60_000, stop.signal);
  t.true(stop.signal.aborted);
  await signal.close();
});

test('changes are counted by what they fall under: a job does not touch the drain flags, a new drain folder does', async (t) => {
  const dir = await bare(t);
  const tree = (await git(['mktree'], { cwd: dir, input: '' })).stdout.trim();
  const commit = (await git(['commit-tree', '-m', 'x', tree], { cwd: dir })).stdout.trim();
  const signal = await WorkSignal.open(dir, { wakeOn: ['refs/ci/jobs/', 'refs/ci/drain/'] });
  t.teardown(() => signal.close());
  const drains = () => signal.changesUnder(['refs/ci/drain/']);
  const before = drains();
  signal.arm();
  await git(['update-ref', 'refs/ci/jobs/j1', commit], { cwd: dir });
  t.true(await signal.wait(20_000));
  t.is(drains(), before);
  signal.arm();
  // refs/ci/drain does not exist yet: the flag comes with its folder.
  await git(['update-ref', 'refs/ci/drain/w1', commit], { cwd: dir });
  t.true(await signal.wait(20_000));
  // Under load the wake can still be the late echo of the job above: wait for the drain's own.
  t.true(await wakesUntil(signal, () => drains()! > before!));
  // Results are no news to this signal: never counted, whatever else lands with them.
  const results = signal.changesUnder(['refs/ci/results/']);
  signal.arm();
  await git(['update-ref', 'refs/ci/results/j1', commit], { cwd: dir });
  await git(['update-ref', 'refs/ci/jobs/j2', commit], { cwd: dir });
  t.true(await signal.wait(20_000));
  t.is(signal.changesUnder(['refs/ci/results/']), results);
});

test('a remote repository is polled at the end of each wait; a poll that fails is no change', async (t) => {
  for (const [poll, expected] of [
    [async () => true, true],
    [async () => false, false],
    [async () => Promise.reject(new Error('unreachable')), false],
  ] as const) {
    const signal = await WorkSignal.open('ssh://host.invalid/coord.git', { poll });
    t.is(signal.changesUnder(['refs/ci/drain/']), undefined, 'nobody can tell what changed there');
    t.is(await signal.wait(10), expected);
    await signal.close();
  }
});

/** Waits through wakes until `holds` is true or 20 s pass; says whether it held. */
async function wakesUntil(signal: WorkSignal, holds: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (!holds() && Date.now() < deadline) {
    signal.arm();
    if (holds()) break;
    await signal.wait(deadline - Date.now());
  }
  return holds();
}

/**
 * A git killed with SIGKILL mid-update leaves its `.lock` file, and every later
 * update of the same ref fails on it: a daemon restarted after a kill would
 * fail each round for ever. A stale lock is removed and the command runs
 * again; a fresh one (a live git holds it) stays and the command fails with
 * git's own words.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { fetchChanges } from '../../src/git/fetch.ts';
import { pushWithLease } from '../../src/git/push.ts';
import { git } from '../../src/git/runner.ts';
import { isStaleLock, lockInTheWay, removeStaleLock, repositoriesOf, STALE_LOCK_MS } from '../../src/git/stale-lock.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';

test('git\'s "File exists" line names the lock; a lock is stale only once older than any update takes', (t) => {
  const stderr = "error: cannot lock ref 'refs/ci/results/x': Unable to create '/srv/c.git/./refs/ci/results/x.lock': File exists.\n\nAnother git process seems to be running";
  t.is(lockInTheWay(stderr), '/srv/c.git/./refs/ci/results/x.lock');
  t.is(lockInTheWay('fatal: could not read from remote repository'), undefined);
  t.false(isStaleLock(1_000, 1_000 + STALE_LOCK_MS - 1));
  t.true(isStaleLock(1_000, 1_000 + STALE_LOCK_MS));
});

async function movedRef(t: Parameters<typeof tempDir>[0]) {
  const origin = await bareRepo(t, 'origin.git');
  const clone = await bareRepo(t, 'clone.git');
  const commit = async (message: string) => (await git(['commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-m', message], { cwd: origin })).stdout.trim();
  await git(['update-ref', 'refs/ci/results/x', await commit('first')], { cwd: origin });
  await fetchChanges(clone, origin, ['+refs/ci/*:refs/ci/*'], { prune: true });
  const moved = await commit('second');
  await git(['update-ref', 'refs/ci/results/x', moved], { cwd: origin });
  return { origin, clone, moved };
}

/** A lock file as a git killed long enough ago leaves it. */
function leftLock(file: string): string {
  fs.writeFileSync(file, '');
  const old = new Date(Date.now() - STALE_LOCK_MS - 5_000);
  fs.utimesSync(file, old, old);
  return file;
}

test('a ref lock left by a killed git is removed and the fetch goes through', async (t) => {
  const { origin, clone, moved } = await movedRef(t);
  const lock = leftLock(path.join(clone, 'refs/ci/results/x.lock'));
  await fetchChanges(clone, origin, ['+refs/ci/*:refs/ci/*'], { prune: true });
  t.false(fs.existsSync(lock));
  t.is((await git(['rev-parse', 'refs/ci/results/x'], { cwd: clone })).stdout.trim(), moved);
});

test('a packed-refs lock left by a killed git no longer stops a pruning fetch', async (t) => {
  const { origin, clone } = await movedRef(t);
  await git(['pack-refs', '--all'], { cwd: clone });
  await git(['update-ref', '-d', 'refs/ci/results/x'], { cwd: origin });
  const lock = leftLock(path.join(clone, 'packed-refs.lock'));
  await fetchChanges(clone, origin, ['+refs/ci/*:refs/ci/*'], { prune: true });
  t.false(fs.existsSync(lock));
  t.is((await git(['for-each-ref', 'refs/ci/'], { cwd: clone })).stdout, '');
});

test('a fresh lock belongs to a live git: it stays, and the fetch fails with git\'s words', async (t) => {
  const { origin, clone } = await movedRef(t);
  const lock = path.join(clone, 'refs/ci/results/x.lock');
  fs.writeFileSync(lock, '');
  const error = await t.throwsAsync(fetchChanges(clone, origin, ['+refs/ci/*:refs/ci/*'], { prune: true }));
  t.regex(error!.message, /git fetch .*failed: error: cannot lock ref 'refs\/ci\/results\/x'/);
  t.true(fs.existsSync(lock));
});

test('a lock a killed receive-pack left in a repository on this host no longer blocks pushes to that ref', async (t) => {
  const { origin, clone, moved } = await movedRef(t);
  await fetchChanges(clone, origin, ['+refs/ci/*:refs/ci/*']);
  const next = (await git(['commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-p', moved, '-m', 'third'], { cwd: clone })).stdout.trim();
  const lock = leftLock(path.join(origin, 'refs/ci/results/x.lock'));
  const pushed = await pushWithLease(clone, origin, [{ ref: 'refs/ci/results/x', newOid: next, expect: moved }]);
  t.true(pushed.won, pushed.cause);
  t.false(fs.existsSync(lock));
  t.is((await git(['rev-parse', 'refs/ci/results/x'], { cwd: origin })).stdout.trim(), next);
});

test('a fresh lock in the pushed-to repository stays, and the push fails naming it', async (t) => {
  const { origin, clone, moved } = await movedRef(t);
  await fetchChanges(clone, origin, ['+refs/ci/*:refs/ci/*']);
  const lock = path.join(origin, 'refs/ci/results/x.lock');
  fs.writeFileSync(lock, '');
  const pushed = await pushWithLease(clone, origin, [{ ref: 'refs/ci/results/x', newOid: null, expect: moved }]);
  t.false(pushed.won);
  t.is(pushed.outcome, 'failed');
  t.regex(pushed.stderr, /x\.lock': File exists/);
  t.true(fs.existsSync(lock));
});

test('a lock outside the repositories the command works on is never removed, whatever a server says', async (t) => {
  const { clone } = await movedRef(t);
  // A cron line's flock file, named in a hostile server's answer.
  const flock = leftLock(path.join(tempDir(t), 'refci-work.lock'));
  const said = `remote: error: cannot lock ref 'refs/x': Unable to create '${flock}': File exists.`;
  t.deepEqual(repositoriesOf(clone, ['fetch', 'https://forge.example/r.git']), [clone]);
  t.is(removeStaleLock(said, Date.now(), repositoriesOf(clone, ['fetch', 'https://forge.example/r.git'])), undefined);
  t.true(fs.existsSync(flock));
  const inside = leftLock(path.join(clone, 'refs/ci/results/x.lock'));
  t.is(removeStaleLock(said.replace(flock, path.join(clone, '.', 'refs/ci/results/x.lock')), Date.now(), [clone]), inside);
  t.deepEqual(repositoriesOf(undefined, ['ls-remote', tempDir(t)]), [], 'a folder that is no repository counts for nothing');
});

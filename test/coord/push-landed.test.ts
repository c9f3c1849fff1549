import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CoordClone } from '../../src/coord/clone.ts';
import { pushFailure } from '../../src/coord/push-failure.ts';
import { pushLanded } from '../../src/coord/push-landed.ts';
import { closingResult, publishResult } from '../../src/coord/close-job.ts';
import { writeRecordCommit } from '../../src/git/objects.ts';
import type { PushResult, RefUpdate } from '../../src/git/push.ts';
import { git } from '../../src/git/runner.ts';
import { signatureFor } from '../../src/protocol/actor.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';

/** What git reports when the connection broke mid-push: no porcelain line for any ref. */
const broken: PushResult = { won: false, outcome: 'failed', cause: 'git push failed: fatal: the remote end hung up unexpectedly', refs: new Map(), stderr: '' };

async function setUp(t: ExecutionContext, remote?: string) {
  const repo = remote ?? (await bareRepo(t));
  const clone = await CoordClone.open(path.join(tempDir(t), 'host.git'), repo);
  const author = signatureFor('enqueue', 'test', Date.parse('2026-01-01T00:00:00Z'));
  const job = await writeRecordCommit(clone.gitdir, { files: { 'job.json': '{}\n' }, parents: [], message: 'job', author });
  const cancel = await writeRecordCommit(clone.gitdir, { files: { 'cancel.json': '{}\n' }, parents: [], message: 'cancel', author });
  const updates: RefUpdate[] = [
    { ref: 'refs/ci/jobs/a', newOid: job, expect: null },
    { ref: 'refs/ci/cancel/b', newOid: cancel, expect: null },
  ];
  return { repo, clone, updates };
}

test('a broken push the repository took whole is found landed; one it never took is not', async (t) => {
  const { repo, clone, updates } = await setUp(t);
  t.is(await pushLanded(clone, updates, broken), 'none');
  t.true((await clone.push(updates)).won);
  t.is(await pushLanded(clone, updates, broken), 'all');
  await git(['update-ref', '-d', 'refs/ci/cancel/b'], { cwd: repo });
  t.is(await pushLanded(clone, updates, broken), 'some');
});

test('a push the repository answered (a lost lease, a hook) did nothing: the repository is not asked', async (t) => {
  // A remote that cannot be reached: asking it would say unknown.
  const { clone, updates } = await setUp(t, path.join(tempDir(t), 'missing.git'));
  const refused: PushResult = { ...broken, outcome: 'refused', cause: 'refs/ci/jobs/a stale info' };
  t.is(await pushLanded(clone, updates, refused), 'none');
  const declined: PushResult = { ...broken, cause: 'refs/ci/jobs/a [remote rejected] (pre-receive hook declined)', refs: new Map([['refs/ci/jobs/a', { outcome: 'rejected', summary: '[remote rejected] (pre-receive hook declined)' }]]) };
  t.is(await pushLanded(clone, updates, declined), 'none');
});

test('when the repository cannot be asked, the error says the push may have landed and how to go on', async (t) => {
  const { clone, updates } = await setUp(t, path.join(tempDir(t), 'missing.git'));
  const landed = await pushLanded(clone, updates, broken);
  t.is(landed, 'unknown');
  const error = pushFailure('the enqueue', broken, landed === 'all' ? 'none' : landed);
  t.is(error.code, 'git');
  t.is(
    error.oneLine(),
    'the enqueue may or may not have reached the coordination repository: git push failed: fatal: the remote end hung up unexpectedly; it cannot be asked which now; run the same command again once the repository is reachable (refci doctor checks it): what already landed is not done twice',
  );
  t.regex(pushFailure('the enqueue', broken).message, /^the enqueue was not pushed: /);
});

test('a result whose push landed but whose answer was lost is found published, with git\'s words kept', async (t) => {
  const { repo, clone } = await setUp(t);
  const author = signatureFor('enqueue', 'test', Date.parse('2026-01-01T00:00:00Z'));
  const job = await writeRecordCommit(clone.gitdir, { files: { 'job.json': '{}\n' }, parents: [], message: 'job', author });
  t.true((await clone.push([{ ref: 'refs/ci/jobs/j', newOid: job, expect: null }])).won);
  // The repository takes the result's refs, then its receive-pack dies before it answers (a partition would look the same).
  const hook = path.join(repo, 'hooks', 'reference-transaction');
  fs.writeFileSync(hook, '#!/bin/sh\n[ "$1" = committed ] && grep -q refs/ci/results/ && kill -9 $PPID\nexit 0\n', { mode: 0o755 });
  const clock = { now: () => Date.parse('2026-01-01T00:01:00Z') };
  const result = closingResult('j', 'success', 'nothing to run', 'w1', 1, clock.now());
  const pushed = await publishResult(clone, { result, artifacts: {}, parent: job, jobOid: job, actor: 'w1', clock });
  t.true(pushed.won);
  t.regex(pushed.answerLost ?? '', /hung up|disconnect/);
  const tips = await clone.remoteTips(['refs/ci/results/j', 'refs/ci/locks/j']);
  t.truthy(tips.get('refs/ci/results/j'));
  t.is(tips.get('refs/ci/locks/j'), tips.get('refs/ci/results/j'));
});

test('a result push that broke before the repository took it is still a failure', async (t) => {
  const { repo, clone } = await setUp(t);
  const author = signatureFor('enqueue', 'test', Date.parse('2026-01-01T00:00:00Z'));
  const job = await writeRecordCommit(clone.gitdir, { files: { 'job.json': '{}\n' }, parents: [], message: 'job', author });
  t.true((await clone.push([{ ref: 'refs/ci/jobs/j', newOid: job, expect: null }])).won);
  // receive-pack dies before the refs change.
  fs.writeFileSync(path.join(repo, 'hooks', 'reference-transaction'), '#!/bin/sh\n[ "$1" = prepared ] && grep -q refs/ci/results/ && kill -9 $PPID\nexit 0\n', { mode: 0o755 });
  const clock = { now: () => Date.parse('2026-01-01T00:01:00Z') };
  const pushed = await publishResult(clone, { result: closingResult('j', 'success', 'nothing to run', 'w1', 1, clock.now()), artifacts: {}, parent: job, jobOid: job, actor: 'w1', clock });
  t.false(pushed.won);
  t.is(pushed.outcome, 'failed');
  t.is(pushed.answerLost, undefined);
  t.deepEqual([...(await clone.remoteTips(['refs/ci/results/j'])).keys()], []);
});

import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { readFiles } from '../../src/git/cat-file.ts';
import { fetchRefs } from '../../src/git/fetch.ts';
import { firstParentLog } from '../../src/git/log.ts';
import { lsRemote } from '../../src/git/ls-remote.ts';
import { writeCommit, writeFileTree } from '../../src/git/objects.ts';
import { git } from '../../src/git/runner.ts';
import { isRefciError } from '../../src/errors.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';
import { silentServer } from '../helpers/silent-server.ts';

test('stdin in, binary out: cat-file --batch reads what hash-object wrote, byte for byte', async (t) => {
  const repo = await bareRepo(t);
  const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0]);
  const oid = (await git(['hash-object', '-w', '--stdin'], { cwd: repo, input: bytes })).stdout.trim();
  const read = await readFiles(repo, [oid], 1024);
  t.deepEqual(read.get(oid), { kind: 'ok', content: bytes });
});

test('a non-zero exit is an error naming the command and git\'s own cause, or an outcome when allowed', async (t) => {
  const repo = await bareRepo(t);
  const error = await t.throwsAsync(git(['rev-parse', '--verify', 'no-such-ref'], { cwd: repo }));
  t.true(isRefciError(error));
  t.regex(error!.message, /^git rev-parse no-such-ref failed: fatal: /);
  const allowed = await git(['rev-parse', '--verify', 'no-such-ref'], { cwd: repo, allowFailure: true });
  t.is(allowed.exitCode, 128);
  t.regex(allowed.stderr, /fatal/);
});

test('an argument that would run a command (--upload-pack) is refused before git starts', async (t) => {
  const dir = tempDir(t);
  const repo = await bareRepo(t);
  const marker = path.join(dir, 'ran');
  const error = await t.throwsAsync(fetchRefs(repo, `--upload-pack=touch ${marker}`, ['refs/heads/*:refs/heads/*']));
  t.true(isRefciError(error));
  t.false(fs.existsSync(marker));
});

test('a remote that accepts and never answers is given up on at the timeout, with the cause named', async (t) => {
  const port = await silentServer(t);
  const started = Date.now();
  const error = await t.throwsAsync(git(['ls-remote', `git://127.0.0.1:${port}/x`], { timeoutMs: 1500 }));
  t.regex(error!.message, /git ls-remote git:\/\/127\.0\.0\.1:\d+\/x timed out after 2s/);
  t.true(Date.now() - started < 10_000);
});

test('an abort signal stops git', async (t) => {
  const port = await silentServer(t);
  const error = await t.throwsAsync(lsRemote(`git://127.0.0.1:${port}/x`, ['HEAD'], { signal: AbortSignal.timeout(500) }));
  t.regex(error!.message, /stopped/);
});

test('git never sees the host\'s editor or pager', async (t) => {
  const repo = await bareRepo(t);
  const previous = { EDITOR: process.env.EDITOR, PAGER: process.env.PAGER };
  process.env.EDITOR = 'touch /nonexistent/editor-ran';
  process.env.PAGER = 'touch /nonexistent/pager-ran';
  t.teardown(() => Object.assign(process.env, previous));
  const out = await git(['var', '-l'], { cwd: repo });
  t.notRegex(out.stdout, /editor-ran|pager-ran/);
});

test('ls-remote is parsed once: tips, peeled tags and symbolic refs', async (t) => {
  const repo = await bareRepo(t);
  const tree = await writeFileTree(repo, { a: 'a' });
  const commit = await writeCommit(repo, { tree, parents: [], message: 'one', author: { name: 'a', email: 'a@b', timeMs: 0 } });
  await git(['update-ref', 'refs/heads/master', commit], { cwd: repo });
  await git(['tag', '-a', '-m', 'v1', 'v1', commit], { cwd: repo, env: { GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' } });
  const { tips, symrefs } = await lsRemote(repo, ['HEAD', 'refs/heads/*', 'refs/tags/*'], { symref: true });
  t.is(tips.get('refs/heads/master'), commit);
  t.is(tips.get('refs/tags/v1^{}'), commit);
  t.is(symrefs.get('HEAD'), 'refs/heads/master');
});

test('the log gives trailers, not subjects, as data', async (t) => {
  const repo = await bareRepo(t);
  const tree = await writeFileTree(repo, {});
  const author = { name: 'a', email: 'a@b', timeMs: 1_700_000_000_000 };
  const first = await writeCommit(repo, { tree, parents: [], message: 'claim j by w\n\nRefci-Kind: lock\nRefci-Event: claim', author });
  const second = await writeCommit(repo, { tree, parents: [first], message: 'a subject that says claim\n\nRefci-Kind: lock\nRefci-Event: heartbeat', author });
  const log = await firstParentLog(repo, second, 10);
  t.deepEqual(
    log.map((entry) => [entry.oid, entry.committedSec, entry.trailers['Refci-Event']]),
    [
      [second, 1_700_000_000, 'heartbeat'],
      [first, 1_700_000_000, 'claim'],
    ],
  );
});

test('output that arrives after git exited is read to the end (a loaded host delays it the same way)', async (t) => {
  const dir = tempDir(t);
  const config = path.join(dir, 'gitconfig');
  // The alias exits at once; what it started writes half a second later, on the same pipe.
  fs.writeFileSync(config, '[alias]\n\tlate = "!sh -c \'(sleep 0.5; echo late) & exit 0\'"\n');
  const out = await git(['late'], { cwd: dir, env: { GIT_CONFIG_GLOBAL: config } });
  t.is(out.exitCode, 0);
  t.is(out.stdout.trim(), 'late');
});

test('a git ended by a signal is a repository problem, not a missing git: the line says so', async (t) => {
  const repo = await bareRepo(t);
  // The ssh command's shell signals the git that started it.
  const error = await t.throwsAsync(git(['fetch', 'ssh://refci.invalid/coord.git', 'refs/*:refs/*'], { cwd: repo, env: { GIT_SSH_COMMAND: 'kill -TERM $PPID; sleep 5; :' } }));
  t.true(isRefciError(error));
  t.regex(error!.message, /^git fetch ssh:\/\/refci.invalid\/coord.git was ended by a signal before it finished/);
  t.notRegex(error!.message, /install git/);
});

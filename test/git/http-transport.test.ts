/**
 * The coordination repository over smart HTTP (git http-backend behind the
 * test's web server), reached through refci's own git environment: its
 * low-speed limit and never-prompt settings are on for every call here. What
 * differs from the other transports is checked on the wire: protocol v2
 * (hosts fetch only the refs they ask for), fetch requests large enough that
 * git gzips them, pushes larger than git's post buffer (sent chunked, with no
 * length), and a server that wants credentials.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CoordClone } from '../../src/coord/clone.ts';
import { lsRemote } from '../../src/git/ls-remote.ts';
import { writeRecordCommit } from '../../src/git/objects.ts';
import { git, gitEnvironment } from '../../src/git/runner.ts';
import { signatureFor } from '../../src/protocol/actor.ts';
import { jobRef, liveRefspecs } from '../../src/protocol/refs.ts';
import { httpBackendUnusable, httpGit } from '../helpers/http-git.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';

const why = httpBackendUnusable();
const real = why ? test.skip : test;
const skipped = why ? ` [skipped: ${why}]` : '';

const author = signatureFor('enqueue', 'test', Date.parse('2026-01-01T00:00:00Z'));

/** A bare repository served over HTTP with pushes on, holding `jobs` job refs (each its own commit). */
async function servedRepo(t: ExecutionContext, jobs: number, users?: Record<string, string>) {
  const repo = await bareRepo(t);
  await git(['config', 'http.receivepack', 'true'], { cwd: repo });
  const lines: string[] = [];
  for (let i = 0; i < jobs; i++) {
    const oid = await writeRecordCommit(repo, { files: { 'job.json': `{"n": ${i}}\n` }, parents: [], message: `job ${i}`, author });
    lines.push(`create ${jobRef(`j${i}`)} ${oid}\n`);
  }
  await git(['update-ref', '--stdin'], { cwd: repo, input: lines.join('') });
  const server = await httpGit(t, path.dirname(repo), { users });
  return { repo, server, url: server.url(path.basename(repo)) };
}

real(`refci's git environment keeps the low-speed limit and no prompt, which smart HTTP works with${skipped}`, (t) => {
  const env = gitEnvironment(undefined);
  t.is(env.GIT_HTTP_LOW_SPEED_LIMIT, '1');
  t.true(Number(env.GIT_HTTP_LOW_SPEED_TIME) > 0);
  t.is(env.GIT_TERMINAL_PROMPT, '0');
});

real(`ls-remote and fetch speak protocol v2 over HTTP: only the refs asked for come${skipped}`, async (t) => {
  const { repo, server, url } = await servedRepo(t, 2);
  await git(['update-ref', 'refs/heads/unrelated', (await git(['rev-parse', jobRef('j0')], { cwd: repo })).stdout.trim()], { cwd: repo });
  const { tips } = await lsRemote(url, [jobRef('j1')]);
  t.deepEqual([...tips.keys()], [jobRef('j1')]);
  // Protocol v0 lists every ref in the GET; v2 sends ls-refs as a POST with the Git-Protocol header.
  t.true(server.requests.some((line) => /^POST \/coord\.git\/git-upload-pack 200 .*version=2/.test(line)), server.requests.join('\n'));
  const clone = await CoordClone.open(path.join(tempDir(t), 'host.git'), url);
  await clone.fetch(liveRefspecs());
  t.deepEqual([...(await clone.refs('refs/')).keys()].sort(), [jobRef('j0'), jobRef('j1')]);
});

real(`a fetch whose request git gzips and a push larger than git's post buffer (chunked) both land${skipped}`, async (t) => {
  // Thirty wants make the fetch request over 1 KiB, which git sends gzipped.
  const { repo, server, url } = await servedRepo(t, 30);
  const clone = await CoordClone.open(path.join(tempDir(t), 'host.git'), url);
  await clone.fetch(liveRefspecs());
  t.is((await clone.refs('refs/ci/jobs/')).size, 30);
  t.true(server.requests.some((line) => /^POST \/coord\.git\/git-upload-pack 200 gzip/.test(line)), server.requests.join('\n'));
  // Over http.postBuffer (1 MiB) git streams the pack with chunked encoding and no Content-Length.
  const big = await writeRecordCommit(clone.gitdir, { files: { 'result.json': '{}\n', 'logs/big.log': randomBytes(2 * 1024 * 1024) }, parents: [], message: 'big', author });
  const pushed = await clone.push([{ ref: 'refs/ci/results/big', newOid: big, expect: null }]);
  t.true(pushed.won, pushed.cause);
  t.true(server.requests.some((line) => /^POST \/coord\.git\/git-receive-pack 200 .*chunked/.test(line)), server.requests.join('\n'));
  t.is((await git(['rev-parse', 'refs/ci/results/big'], { cwd: repo })).stdout.trim(), big);
});

real(`a server that wants credentials refuses a host without them at once, in one line, never a prompt${skipped}`, async (t) => {
  const { url } = await servedRepo(t, 1, { 'worker.w1': 'secret' });
  const clone = await CoordClone.open(path.join(tempDir(t), 'host.git'), url);
  const error = await t.throwsAsync(clone.fetch(liveRefspecs()));
  t.regex(error!.message, /^git fetch http:\/\/127\.0\.0\.1:\d+\/coord\.git failed: fatal: could not read Username .*terminal prompts disabled$/);
  t.is(error!.message.split('\n').length, 1);
});

real(`a password in the coordination URL never reaches refci's error lines${skipped}`, async (t) => {
  const { url } = await servedRepo(t, 1, { 'worker.w1': 'secret' });
  const withPassword = url.replace('http://', 'http://worker.w1:s3cr3t-pw@');
  const clone = await CoordClone.open(path.join(tempDir(t), 'host.git'), withPassword);
  const fetched = await t.throwsAsync(clone.fetch(liveRefspecs()));
  const listed = await t.throwsAsync(lsRemote(withPassword, [jobRef('j0')]));
  for (const error of [fetched!, listed!]) {
    t.regex(error.message, /Authentication failed/);
    t.notRegex(error.message, /s3cr3t-pw/, error.message);
    t.regex(error.message, /http:\/\/worker\.w1:\[redacted\]@127\.0\.0\.1:\d+\/coord\.git/);
  }
});

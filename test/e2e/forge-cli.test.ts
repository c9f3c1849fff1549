/** The real CLI against the fake forge: discovery, publishing, --pull-refs, retry, and where the token goes. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { git } from '../../src/git/runner.ts';
import { summaryPath } from '../../src/protocol/history.ts';
import { refci, type CliResult } from '../helpers/cli.ts';
import { enqueuePr, liveRefs, scenario } from '../helpers/coord.ts';
import { startFakeForge } from '../helpers/fake-forge.ts';
import { TEST_TOKEN } from '../helpers/fake-forge-client.ts';
import { tempDir } from '../helpers/temp.ts';
import { editConfig } from '../fleet/helpers.ts';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Every git directory under dir (bare clones and the coordination repository). */
function gitDirs(dir: string): string[] {
  return filesUnder(dir)
    .filter((file) => path.basename(file) === 'HEAD' && fs.existsSync(path.join(path.dirname(file), 'objects')))
    .map((file) => path.dirname(file));
}

test('github: enqueue, work and collect from cron; the token is in no file, object or output', async (t) => {
  const s = await scenario(t, 'file', 0);
  const fake = await startFakeForge({ flavor: 'github', token: TEST_TOKEN });
  t.teardown(() => fake.close());
  const kept = { ...fake.openPull({ author: 'alice' }) };
  fake.openPull({ author: 'bob' });
  const tokenFile = path.join(tempDir(t), 'github-token');
  fs.writeFileSync(tokenFile, `${TEST_TOKEN}\n`, { mode: 0o600 });
  const outputs: CliResult[] = [];
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const result = await refci(args, { env: { ...s.env, ...env } });
    outputs.push(result);
    return result;
  };
  const forgeArgs = ['--github', 'gentoo/gentoo', '--api-url', fake.apiUrl, '--allow-http-api'];

  const enqueue = await run(['enqueue', '--coord', s.coord, ...forgeArgs, '--pipeline', 'sleep'], { GITHUB_TOKEN: TEST_TOKEN });
  t.is(enqueue.exitCode, 0, enqueue.stderr);
  t.regex(enqueue.stdout, /PR #1: enqueued pr1-[0-9a-f]{16} \(new pull request/);
  t.regex(enqueue.stdout, /PR #2: enqueued pr2-[0-9a-f]{16} \(new pull request/);
  t.notRegex(enqueue.stdout, /open pull request\(s\)/, 'the summary line needs --verbose');

  const work = await run(['work', '--coord', s.coord, '--once', '--worker-id', 'w1', '--config', s.configFile]);
  t.is(work.exitCode, 0, work.stderr);
  t.regex(work.stdout, /ran 2 job\(s\)/);
  const moved = fake.pushHead(2);

  const collect = await run([
    'collect', '--coord', s.coord, '--once', '--config', s.configFile, '--out', path.join(s.dir, 'reports'),
    ...forgeArgs, '--token-file', tokenFile, '--report-url', 'https://ci.example.org/{job}/report.md',
  ]);
  t.is(collect.exitCode, 0, collect.stderr);
  t.regex(collect.stdout, /archived 2 job/);
  t.deepEqual((await liveRefs(s.coordPath)).filter((ref) => /^refs\/ci\/(jobs|locks|results|cancel)\//.test(ref)), []);
  const final = fake.statuses.filter((x) => x.sha === kept.headSha).at(-1)!;
  t.like(final, { state: 'success', context: 'gentoo-ci', description: 'all 1 steps passed' });
  t.regex(final.targetUrl!, /^https:\/\/ci\.example\.org\/pr1-[0-9a-f]{16}\/report\.md$/);
  t.deepEqual(fake.statuses.filter((x) => x.sha === moved), []);
  t.deepEqual(fake.comments.map((c) => c.issue), [1]);

  // The new head of #2 is enqueued next time; a forge that echoes the token gets it scrubbed.
  fake.script({ method: 'GET', path: '/repos/gentoo/gentoo/issues/comments', status: 422, body: { message: `bad request from ${TEST_TOKEN}` } });
  const failed = await run(['enqueue', '--coord', s.coord, ...forgeArgs], { GITHUB_TOKEN: TEST_TOKEN });
  t.is(failed.exitCode, 8);
  t.regex(failed.stderr, /\[redacted\]/);
  const badToken = await run(['enqueue', '--coord', s.coord, ...forgeArgs], { GITHUB_TOKEN: 'ghp_wrong' });
  t.is(badToken.exitCode, 8);
  t.regex(badToken.stderr, /GitHub rejected the token from GITHUB_TOKEN \(401/);
  const again = await run(['enqueue', '--coord', s.coord, ...forgeArgs, '--pipeline', 'sleep', '--json'], { GITHUB_TOKEN: TEST_TOKEN });
  t.is(again.exitCode, 0, again.stderr);
  t.deepEqual(JSON.parse(again.stdout).enqueued.map((e: { pr: number; head: string }) => [e.pr, e.head]), [[2, moved]]);

  // Nowhere: outputs, files (state dirs, reports, the coordination repository) and every git object.
  for (const output of outputs) t.false(`${output.stdout}\n${output.stderr}`.includes(TEST_TOKEN));
  const files = filesUnder(s.dir);
  t.true(files.some((file) => file.includes(`${path.sep}state${path.sep}`)));
  for (const file of files) t.false(fs.readFileSync(file).includes(TEST_TOKEN), file);
  const dirs = gitDirs(s.dir);
  t.true(dirs.length >= 3);
  for (const dir of dirs) {
    const objects = await git(['cat-file', '--batch-all-objects', '--batch'], { cwd: dir });
    t.false(objects.stdout.includes(TEST_TOKEN), dir);
  }
});

test('--pull-refs: every new or moved refs/pull/N/head becomes a job; an older job of the PR is superseded', async (t) => {
  const s = await scenario(t, 'file', 3);
  const src = s.source.path;
  await git(['update-ref', 'refs/pull/1/head', s.source.heads[0]!], { cwd: src });
  await git(['update-ref', 'refs/pull/2/head', s.source.heads[1]!], { cwd: src });
  const enqueue = () => refci(['enqueue', '--coord', s.coord, '--pull-refs', src, '--pipeline', 'sleep', '--json'], { env: s.env });

  const first = JSON.parse((await enqueue()).stdout);
  t.deepEqual(first.created.map((c: { pr: number; head: string }) => [c.pr, c.head]), [[1, s.source.heads[0]], [2, s.source.heads[1]]]);
  t.deepEqual(first.base, { sha: s.source.base, ref: 'refs/heads/master' });
  const job = JSON.parse((await git(['cat-file', 'blob', `refs/ci/jobs/${first.created[0].id}:job.json`], { cwd: s.coordPath })).stdout);
  t.like(job, { repo: src, base: s.source.base, baseRef: 'refs/heads/master', headRef: 'refs/pull/1/head', pr: 1, pipeline: 'sleep' });

  const quiet = await refci(['enqueue', '--coord', s.coord, '--pull-refs', src, '--pipeline', 'sleep'], { env: s.env });
  t.is(quiet.exitCode, 0, quiet.stderr);
  t.is(quiet.stdout.trim(), 'no pull request ref is new or moved');

  await git(['update-ref', 'refs/pull/1/head', s.source.heads[2]!], { cwd: src });
  await git(['update-ref', 'refs/pull/3/head', s.source.heads[2]!], { cwd: src });
  const third = JSON.parse((await enqueue()).stdout);
  t.deepEqual(third.created.map((c: { pr: number }) => c.pr), [1, 3]);
  t.deepEqual(third.cancelled, [first.created[0].id]);

  const baseline = await refci(['enqueue', '--coord', s.coord, '--pull-refs', src, '--baseline', '--state-dir', path.join(s.dir, 'other-state')], { env: s.env });
  t.is(baseline.exitCode, 0, baseline.stderr);
  t.regex(baseline.stdout, /remembered 3 pull request ref\(s\); none enqueued/);
});

test('refci retry: an archived job runs again under a new id that names the old one', async (t) => {
  const s = await scenario(t, 'file', 1);
  const id = (await enqueuePr(s, 1, 'sleep')).stdout.trim();
  await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1', '--config', s.configFile], { env: s.env });
  const collect = await refci(['collect', '--coord', s.coord, '--once', '--config', s.configFile, '--out', path.join(s.dir, 'reports')], { env: s.env });
  t.regex(collect.stdout, /archived 1 job/);

  const retry = await refci(['retry', '--coord', s.coord, id], { env: s.env });
  t.is(retry.exitCode, 0, retry.stderr);
  const match = /^(pr1-[0-9a-f]{16}): retry of archived job (\S+)$/.exec(retry.stdout.trim());
  t.truthy(match, retry.stdout);
  const retried = match![1]!;
  t.not(retried, id);
  const original = JSON.parse((await git(['cat-file', 'blob', `refs/ci/history:${summaryPath(id)}`], { cwd: s.coordPath })).stdout);
  const job = JSON.parse((await git(['cat-file', 'blob', `refs/ci/jobs/${retried}:job.json`], { cwd: s.coordPath })).stdout);
  t.like(job, { retryOf: id, head: s.source.heads[0], base: s.source.base, pr: 1, pipeline: 'sleep', key: `${s.source.path.toLowerCase()}#1:sleep` });
  t.is(original.job, id);

  // Retrying again while the first retry is queued supersedes it.
  const second = JSON.parse((await refci(['retry', '--coord', s.coord, '--json', id], { env: s.env })).stdout);
  t.is(second[0].retryOf, id);
  t.not(second[0].id, retried);
  t.deepEqual(second[0].cancelled, [retried]);

  const missing = await refci(['retry', '--coord', s.coord, 'no-such-job'], { env: s.env });
  t.is(missing.exitCode, 5);
  t.regex(missing.stderr, /no job no-such-job, live or archived/);
});

test('forge flags without a forge, and two sources at once, are usage errors', async (t) => {
  const lone = await refci(['enqueue', '--coord', '/nonexistent', '--repo', 'x', '--api-url', 'http://127.0.0.1:1']);
  t.is(lone.exitCode, 2);
  t.regex(lone.stderr, /--api-url needs --github or --codeberg/);
  const both = await refci(['enqueue', '--coord', '/nonexistent', '--github', 'a/b', '--pull-refs', 'x']);
  t.is(both.exitCode, 2);
  // The token is looked for after the configuration branch, which may name its file.
  const s = await scenario(t, 'file', 0);
  const noToken = await refci(['collect', '--coord', s.coord, '--codeberg', 'a/b'], { env: { PATH: process.env.PATH ?? '', REFCI_STATE_DIR: s.env.REFCI_STATE_DIR! } });
  t.is(noToken.exitCode, 2);
  t.regex(noToken.stderr, /no Codeberg token: CODEBERG_TOKEN is not set/);
});

test('codeberg: status context and report link from the configuration branch; its API URL and token file are never used', async (t) => {
  const s = await scenario(t, 'file', 0);
  const fake = await startFakeForge({ flavor: 'forgejo', token: TEST_TOKEN });
  t.teardown(() => fake.close());
  const pull = fake.openPull({ author: 'alice' });
  // Whoever can push the configuration branch (any worker key) names a server of theirs and a file of the main host.
  const trap = await listeningTrap(t);
  await editConfig(
    s,
    (c) => (c.forges = { codeberg: { apiUrl: trap.url, tokenFile: '/etc/hostname', statusContext: 'gentoo-ci/codeberg', reportUrl: 'https://ci.example.org/{job}/' } }),
    'publish on Codeberg',
  );
  const env = { ...s.env, CODEBERG_TOKEN: TEST_TOKEN };
  const forgeArgs = ['--codeberg', 'gentoo/gentoo', '--api-url', fake.apiUrl, '--allow-http-api'];

  const enqueue = await refci(['enqueue', '--coord', s.coord, ...forgeArgs, '--pipeline', 'noop'], { env });
  t.is(enqueue.exitCode, 0, enqueue.stderr);
  t.regex(enqueue.stdout, /PR #1: enqueued pr1-/);
  t.regex(enqueue.stderr, /^warning: configuration branch: forges\.codeberg\.apiUrl and forges\.codeberg\.tokenFile ignored: /m);
  t.like(fake.statuses.at(-1), { sha: pull.headSha, state: 'pending', context: 'gentoo-ci/codeberg' });
  const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1'], { env: s.env });
  t.is(work.exitCode, 0, work.stderr);
  const collect = await refci(['collect', '--coord', s.coord, '--once', '--out', path.join(s.dir, 'reports'), ...forgeArgs], { env });
  t.is(collect.exitCode, 0, collect.stderr);
  const final = fake.statuses.filter((x) => x.sha === pull.headSha).at(-1)!;
  t.like(final, { state: 'success', context: 'gentoo-ci/codeberg' });
  t.regex(final.targetUrl!, /^https:\/\/ci\.example\.org\/pr1-[0-9a-f]{16}\/$/);
  t.is(fake.comments.length, 1);
  t.is(trap.requests.length, 0, 'the branch\'s API URL was asked');

  // Without --api-url the branch's URL is still not used: the public API is the default, and http is refused without the flag.
  const plain = await refci(['enqueue', '--coord', s.coord, '--codeberg', 'gentoo/gentoo', '--api-url', trap.url, '--pipeline', 'noop'], { env });
  t.is(plain.exitCode, 2, plain.stderr);
  t.regex(plain.stderr, /Codeberg API URL http:\/\/127\.0\.0\.1:\d+ is not https/);
  t.is(trap.requests.length, 0, 'the token went over http without --allow-http-api');
});

/** A plain http server on 127.0.0.1 that records every request (with its Authorization header) and answers 500. */
async function listeningTrap(t: ExecutionContext): Promise<{ url: string; requests: Array<{ url?: string; authorization?: string }> }> {
  const requests: Array<{ url?: string; authorization?: string }> = [];
  const server = http.createServer((request, response) => {
    requests.push({ url: request.url, authorization: request.headers.authorization });
    response.statusCode = 500;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v1`, requests };
}

import test from 'ava';
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { git } from '../../src/git/runner.ts';
import { refci, ROOT } from '../helpers/cli.ts';
import { enqueuePr, liveRefs, scenario, type Scenario } from '../helpers/coord.ts';

/** The shell block of docs/protocol.md between the manual-job markers, run as it is written. */
function manualJobScript(): string {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'protocol.md'), 'utf8');
  const block = /<!-- manual-job:start -->\n```sh\n([\s\S]*?)```\n<!-- manual-job:end -->/.exec(doc);
  if (!block) throw new Error('docs/protocol.md has no manual-job block');
  return block[1];
}

/** Pushes a job commit whose tree holds `files`, with plain git, as a person or a buggy tool might. */
async function pushRawJob(s: Scenario, id: string, files: Record<string, string | Buffer>): Promise<void> {
  const work = fs.mkdtempSync(path.join(s.dir, 'raw-'));
  const gitDir = path.join(work, 'tmp.git');
  await git(['init', '--quiet', '--bare', gitDir]);
  const env = { GIT_DIR: gitDir, GIT_AUTHOR_NAME: 'p', GIT_AUTHOR_EMAIL: 'p@x', GIT_COMMITTER_NAME: 'p', GIT_COMMITTER_EMAIL: 'p@x' };
  const lines: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(work, name);
    fs.writeFileSync(file, content);
    const blob = (await git(['hash-object', '-w', file], { env })).stdout.trim();
    lines.push(`100644 blob ${blob}\t${name}`);
  }
  const tree = (await git(['mktree'], { env, input: `${lines.join('\n')}\n` })).stdout.trim();
  const commit = (await git(['commit-tree', '-m', `enqueue ${id}: by hand`, tree], { env })).stdout.trim();
  await git(['push', '--porcelain', `--force-with-lease=refs/ci/jobs/${id}:`, s.coord, `${commit}:refs/ci/jobs/${id}`], { env });
}

test('a job made with the plain git commands of docs/protocol.md runs like any other', async (t) => {
  const s = await scenario(t, 'file', 1);
  const head = (await git(['rev-parse', 'pr/1'], { cwd: s.source.path })).stdout.trim();
  const run = await execa('bash', ['-euo', 'pipefail', '-c', manualJobScript()], {
    // TMPDIR: the script's `mktemp -d` folder goes below the test's folder, removed with it.
    env: { COORD: s.coord, REPO: s.source.path, BASE: s.source.base, HEAD: head, TMPDIR: s.env.TMPDIR },
    reject: false,
  });
  t.is(run.exitCode, 0, String(run.stderr));
  const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1'], { env: s.env });
  t.regex(work.stdout, /manual-1: success/);
  await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/out`], { env: s.env });
  const log = JSON.parse((await refci(['log', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  t.is(log[0].job, 'manual-1');
  t.is(log[0].verdict, 'success');
});

test('malformed jobs are set aside with a reason and never block the others', async (t) => {
  const s = await scenario(t, 'file', 1);
  const valid = (await enqueuePr(s, 1, 'check')).stdout.trim();
  const good = { version: 1, repo: s.source.path, base: s.source.base, head: s.source.heads[0], pipeline: 'check', createdAt: '2026-01-01T00:00:00Z' };
  await pushRawJob(s, 'bad-json', { 'job.json': '{"version": 1,' });
  await pushRawJob(s, 'bad-version', { 'job.json': JSON.stringify({ ...good, id: 'bad-version', version: 99 }) });
  await pushRawJob(s, 'missing-head', { 'job.json': JSON.stringify({ ...good, id: 'missing-head', head: undefined }) });
  await pushRawJob(s, 'hostile', { 'job.json': JSON.stringify({ ...good, id: 'hostile', repo: 'x\u001b[2J; rm -rf /' }) });
  await pushRawJob(s, 'huge', { 'job.json': JSON.stringify({ ...good, id: 'huge', prUrl: 'x'.repeat(2_000_000) }) });
  await pushRawJob(s, 'no-file', { 'README': 'no job here' });
  await pushRawJob(s, 'wrong-id', { 'job.json': JSON.stringify({ ...good, id: 'another-id' }) });

  const status = JSON.parse((await refci(['status', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  const reasons = Object.fromEntries(status.jobs.map((j: { id: string; reason?: string }) => [j.id, j.reason]));
  t.regex(reasons['bad-json'], /job\.json is not valid JSON/);
  t.regex(reasons['bad-version'], /version 99, this refci reads version 1/);
  t.regex(reasons['missing-head'], /field head/);
  t.regex(reasons['hostile'], /control characters/);
  t.regex(reasons['huge'], /bytes, more than the limit/);
  t.regex(reasons['no-file'], /has no job\.json/);
  t.regex(reasons['wrong-id'], /does not match its ref/);

  const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1'], { env: s.env });
  t.is(work.exitCode, 0, work.stderr);
  t.regex(work.stdout, new RegExp(`${valid}: success`));
  await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/out`], { env: s.env });
  t.deepEqual(await liveRefs(s.coordPath), ['refs/ci/history']);
  const log = JSON.parse((await refci(['log', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  const verdicts = Object.fromEntries(log.map((e: { job: string; verdict: string; reason: string }) => [e.job, `${e.verdict}: ${e.reason}`]));
  t.is(verdicts[valid], 'success: all 1 steps passed');
  for (const id of ['bad-json', 'bad-version', 'missing-head', 'hostile', 'huge', 'no-file', 'wrong-id']) {
    t.regex(verdicts[id], /^error: malformed job: /, id);
  }
  const fsck = await git(['fsck', '--no-dangling'], { cwd: s.coordPath, allowFailure: true });
  t.is(fsck.exitCode, 0, fsck.stderr);
});

test('a job whose repo is a git option never runs anything and is set aside with the reason', async (t) => {
  const s = await scenario(t, 'file', 1);
  const marker = path.join(s.dir, 'pwned');
  const good = { version: 1, base: s.source.base, head: s.source.heads[0], pipeline: 'check', createdAt: '2026-01-01T00:00:00Z' };
  await pushRawJob(s, 'upload-pack', { 'job.json': JSON.stringify({ ...good, id: 'upload-pack', repo: `--upload-pack=touch ${marker}` }) });
  await pushRawJob(s, 'ext-helper', { 'job.json': JSON.stringify({ ...good, id: 'ext-helper', repo: `ext::sh -c touch% ${marker}` }) });
  await pushRawJob(s, 'with-token', { 'job.json': JSON.stringify({ ...good, id: 'with-token', repo: 'https://x:token@example.invalid/a.git' }) });
  const status = JSON.parse((await refci(['status', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  const reasons = Object.fromEntries(status.jobs.map((j: { id: string; reason?: string }) => [j.id, j.reason]));
  t.regex(reasons['upload-pack'], /job\.json field repo: must not start with -/);
  t.regex(reasons['ext-helper'], /job\.json field repo: must be an https/);
  t.regex(reasons['with-token'], /job\.json field repo: must not carry credentials/);
  const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1'], { env: s.env });
  t.is(work.exitCode, 0, work.stderr);
  await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/out`], { env: s.env });
  const log = JSON.parse((await refci(['log', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  const verdicts = Object.fromEntries(log.map((e: { job: string; verdict: string; reason: string }) => [e.job, `${e.verdict}: ${e.reason}`]));
  t.regex(verdicts['upload-pack'], /^error: malformed job: job\.json field repo: must not start with -/);
  t.regex(verdicts['ext-helper'], /^error: malformed job: /);
  t.regex(verdicts['with-token'], /^error: malformed job: /);
  t.false(fs.existsSync(marker), 'git ran the job repo as a command');
});

test('a worker refuses a job whose repo is a local path unless it allows local repositories', async (t) => {
  const s = await scenario(t, 'file', 1);
  const id = (await enqueuePr(s, 1, 'check')).stdout.trim();
  const { REFCI_ALLOW_LOCAL_REPOS: _allowed, ...env } = s.env;
  const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1'], { env });
  t.regex(work.stdout, new RegExp(`${id}: error`));
  await refci(['collect', '--coord', s.coord, '--once', '--out', `${s.dir}/out`], { env });
  const log = JSON.parse((await refci(['log', '--coord', s.coord, '--json'], { env })).stdout);
  t.regex(log[0].reason, /is a path on this worker, which this worker does not fetch from/);
  const stateFiles = fs.readdirSync(s.env.REFCI_STATE_DIR!, { recursive: true }).map(String);
  t.true(stateFiles.some((name) => name.endsWith('coord.git')), 'the worker did run');
  t.false(stateFiles.some((name) => name.endsWith('mirrors')), 'no mirror was made: git never saw the path');
});

/**
 * The coordination repository over smart HTTP as docs/deploy.md sets it up:
 * the documented gate (as written there, with this test's folder) as the CGI
 * program behind a web server with basic authentication, pushes turned on
 * with the documented line, the pre-receive hook of `refci init --hooks`, and
 * a worker whose password is in its .netrc as documented. The main host
 * enqueues and worker-1 claims through the gate (the hook knows each by its
 * user); worker-2 tries to publish a result for worker-1's job and is refused
 * with the hook's reason, which refci reports as a refusal, never a lost
 * race; users the gate does not know and wrong passwords are turned away.
 * One server serves the whole file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { Lease } from '../../src/claim/lease.ts';
import { closingResult, publishResult } from '../../src/coord/close-job.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { lsRemote } from '../../src/git/ls-remote.ts';
import { git } from '../../src/git/runner.ts';
import { systemClock } from '../../src/host/clock.ts';
import { descriptorOf } from '../../src/protocol/snapshot.ts';
import { CONFIG_REF, CONFIG_REFSPEC, liveRefspecs, lockRef } from '../../src/protocol/refs.ts';
import { assertBuiltFrom } from '../helpers/built-cli.ts';
import { REFCI, ROOT, refci } from '../helpers/cli.ts';
import { httpBackendUnusable, httpGit, type HttpGit } from '../helpers/http-git.ts';
import { sourceRepo } from '../helpers/source-repo.ts';

const DEPLOY = fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');

/** The gate of docs/deploy.md, serving the repositories under `root` instead of /srv/refci. */
function documentedGate(root: string): string {
  const block = /<!-- http-gate:start -->\n```sh\n([\s\S]*?)```\n<!-- http-gate:end -->/.exec(DEPLOY);
  if (!block) throw new Error('docs/deploy.md has no http-gate block');
  const script = block[1]!;
  if (!script.includes('GIT_PROJECT_ROOT=/srv/refci ')) throw new Error('the gate no longer sets GIT_PROJECT_ROOT=/srv/refci');
  return script.replace('GIT_PROJECT_ROOT=/srv/refci ', `GIT_PROJECT_ROOT=${root} `);
}

/** A line of a docs/deploy.md code block that starts with `start`, as written there. */
function documentedLine(start: string): string {
  const line = DEPLOY.split('\n').find((candidate) => candidate.startsWith(start));
  if (!line) throw new Error(`docs/deploy.md has no line starting ${start}`);
  return line;
}

const PASSWORDS = { 'worker.worker-1': 'pw-w1', 'worker.worker-2': 'pw-w2', main: 'pw-main', alice: 'pw-alice' };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-http-'));
const coordPath = path.join(dir, 'coord.git');
const stops: (() => unknown)[] = [];
let server: HttpGit | undefined;
// The hook runs bin/refci.js, which runs dist/: an old build would test old rules.
assertBuiltFrom(ROOT);
let why = httpBackendUnusable();
if (!why) {
  try {
    const init = await refci(['init', '--hooks', coordPath]);
    if (init.exitCode !== 0) throw new Error(init.stderr);
    // The documented line, with this test's repository.
    const receivePack = documentedLine('git -C /srv/refci/coord.git config http.receivepack true').replace('/srv/refci/coord.git', coordPath);
    await execa('sh', ['-c', receivePack]);
    const gate = path.join(dir, 'refci-http-gate');
    fs.writeFileSync(gate, documentedGate(dir), { mode: 0o755 });
    server = await httpGit({ teardown: (stop) => void stops.push(stop) }, dir, { cgi: [gate], users: PASSWORDS });
  } catch (error) {
    why = (error as Error).message.split('\n')[0];
  }
}
const real = why ? test.serial.skip : test.serial;
const skipped = why ? ` [skipped: ${why}]` : '';

test.after.always(async () => {
  for (const stop of stops) await stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The URL a host uses; the in-process hosts here carry their password in it, the worker process below uses .netrc. */
function coord(user?: keyof typeof PASSWORDS, repo = 'coord.git'): string {
  return server!.url(repo, user);
}

const source = sourceRepo(path.join(dir, 'source'), 2);
const env = { TMPDIR: os.tmpdir(), REFCI_ALLOW_LOCAL_REPOS: '1' };

async function cloneAs(user: keyof typeof PASSWORDS): Promise<CoordClone> {
  const clone = await CoordClone.open(path.join(dir, 'clones', `${user}-${Math.random().toString(16).slice(2)}.git`), coord(user));
  await clone.fetch([...liveRefspecs(), CONFIG_REFSPEC]);
  return clone;
}

async function enqueue(pr: number): Promise<string> {
  const { path: repo } = await source;
  const out = await refci(['enqueue', '--coord', coord('main'), '--repo', repo, '--base', 'master', '--head', `pr/${pr}`, '--pr', String(pr), '--pipeline', 'noop'], { env: { ...env, REFCI_STATE_DIR: path.join(dir, 'state-main') } });
  if (out.exitCode !== 0) throw new Error(out.stderr);
  return out.stdout.trim();
}

real(`the main host enqueues through the gate and its hook; a worker with its password in .netrc, as documented, reads the queue${skipped}`, async (t) => {
  const id = await enqueue(1);
  const home = path.join(dir, 'home-worker-1');
  fs.mkdirSync(home);
  const netrc = documentedLine('machine coord.example.org login worker.worker-1 password ').replace('coord.example.org', '127.0.0.1').replace(/password \S+$/, `password ${PASSWORDS['worker.worker-1']}`);
  fs.writeFileSync(path.join(home, '.netrc'), `${netrc}\n`, { mode: 0o600 });
  // A process of its own, as a worker host runs refci: git finds .netrc in HOME; the URL carries no password.
  const status = await execa(process.execPath, [REFCI, 'status', '--coord', coord(), '--json'], {
    reject: false,
    stdin: 'ignore',
    env: { ...env, HOME: home, REFCI_STATE_DIR: path.join(dir, 'state-w1') },
  });
  t.is(status.exitCode, 0, `${status.stdout}\n${status.stderr}`);
  t.is(JSON.parse(status.stdout).counts.queued, 1);
  t.true(server!.requests.some((line) => /^POST \/coord\.git\/git-receive-pack 200/.test(line)), 'the enqueue went through the gate');
  t.truthy((await git(['rev-parse', '--verify', `refs/ci/jobs/${id}`], { cwd: coordPath })).stdout.trim());
});

real(`worker-2 cannot publish a result for a job worker-1 holds: the hook's reason reaches it over HTTP, as a refusal${skipped}`, async (t) => {
  const id = await enqueue(2);
  const w1 = await cloneAs('worker.worker-1');
  const live = (await readSnapshot(w1)).get(id)!;
  // worker.worker-1 is worker:worker-1 to the hook: its claim goes in.
  const lease = await Lease.acquire(w1, { id: 'worker-1', host: 'h1', leaseSec: 300, tools: {} }, { id, job: descriptorOf(live)!, jobOid: live.job!.oid, attempt: 1, expect: null }, systemClock);
  t.truthy(lease);
  const w2 = await cloneAs('worker.worker-2');
  const pushed = await publishResult(w2, {
    result: closingResult(id, 'success', 'all passed', 'worker-2', 1, systemClock.now()),
    artifacts: {},
    parent: lease!.tip,
    lockTip: lease!.tip,
    actor: 'worker-2',
    clock: systemClock,
  });
  t.false(pushed.won);
  t.is(pushed.outcome, 'failed', 'a refusal, not a lost race');
  t.regex(pushed.cause, new RegExp(`^refs/ci/results/${id} \\[remote rejected\\] \\(pre-receive hook declined\\): refci: refused refs/ci/results/${id}: the lock on \\S+ is held by worker-1 \\(attempt 1\\)`));
  t.is((await git(['rev-parse', lockRef(id)], { cwd: coordPath })).stdout.trim(), lease!.tip);
});

real(`a user the gate names no pusher for, a wrong password and another repository are turned away with the reason${skipped}`, async (t) => {
  const noPusher = await t.throwsAsync(lsRemote(coord('alice'), [CONFIG_REF]));
  t.regex(noPusher!.message, /returned error: 403 \(refci: user alice names no pusher \(worker\.<id>, main or operator\.<name>\)\)$/);
  t.true(server!.requests.some((line) => /^GET \/coord\.git\/info\/refs 403/.test(line)), server!.requests.join('\n'));
  const wrong = await t.throwsAsync(lsRemote(server!.url('coord.git').replace('http://', 'http://main:nope@'), [CONFIG_REF]));
  t.regex(wrong!.message, /Authentication failed/);
  fs.mkdirSync(path.join(dir, 'other.git'));
  await git(['init', '--quiet', '--bare', path.join(dir, 'other.git')]);
  const other = await t.throwsAsync(lsRemote(coord('main', 'other.git'), [CONFIG_REF]));
  t.regex(other!.message, /returned error: 403 \(refci: only \/coord\.git is served here\)$/);
});

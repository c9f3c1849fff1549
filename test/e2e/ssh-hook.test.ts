/**
 * The coordination repository behind a real sshd: the ssh gate and the
 * authorized_keys lines of docs/deploy.md (as written there, with the paths
 * and keys of this test), and the pre-receive hook `refci init --hooks`
 * installs. Worker worker-1 claims and completes a job normally; worker-2
 * tries what its key must not do, and each try is refused with its reason and
 * reported by refci as a refusal, never as a lost race. One sshd serves the
 * whole file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { CoordClone } from '../../src/coord/clone.ts';
import { closingResult, publishResult } from '../../src/coord/close-job.ts';
import { drainWorker } from '../../src/coord/drain.ts';
import { writeRecord } from '../../src/coord/records.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { Lease } from '../../src/claim/lease.ts';
import { writeBlob, writeRecordCommit } from '../../src/git/objects.ts';
import { git } from '../../src/git/runner.ts';
import { systemClock } from '../../src/host/clock.ts';
import { signatureFor } from '../../src/protocol/actor.ts';
import { PRESENCE } from '../../src/protocol/presence.ts';
import { CONFIG_REF, CONFIG_REFSPEC, liveRefspecs, lockRef, workerRef } from '../../src/protocol/refs.ts';
import { descriptorOf } from '../../src/protocol/snapshot.ts';
import type { JobDescriptor } from '../../src/protocol/job.ts';
import { assertBuiltFrom } from '../helpers/built-cli.ts';
import { ROOT, refci } from '../helpers/cli.ts';
import { sourceRepo } from '../helpers/source-repo.ts';
import { keyPair, sshdUnusable, startSshd, type Sshd } from '../helpers/sshd.ts';

const DEPLOY = fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');

/** The gate script of docs/deploy.md, for a repository at `repo`. */
function documentedGate(repo: string): string {
  const block = /<!-- git-gate:start -->\n```sh\n([\s\S]*?)```\n<!-- git-gate:end -->/.exec(DEPLOY);
  if (!block) throw new Error('docs/deploy.md has no git-gate block');
  const script = block[1]!;
  if (!script.includes('repo=/srv/refci/coord.git\n')) throw new Error('the gate no longer sets repo=/srv/refci/coord.git');
  return script.replace('repo=/srv/refci/coord.git\n', `repo=${repo}\n`);
}

/** The authorized_keys lines of docs/deploy.md, with this test's gate and keys in place of theirs (keyed by the comment that ends each line). */
function documentedAuthorizedKeys(gate: string, keys: Record<string, string>): string {
  const lines = DEPLOY.split('\n').filter((line) => line.startsWith('command="/usr/local/bin/refci-git-gate '));
  if (lines.length < 4) throw new Error('docs/deploy.md lists no gate lines');
  return lines
    .map((line) => {
      const comment = line.split(' ').pop()!;
      const key = keys[comment];
      if (!key) throw new Error(`no key for ${comment}`);
      return line.replace('/usr/local/bin/refci-git-gate', gate).replace(/ssh-ed25519 AAAA\.\.\. \S+$/, key);
    })
    .join('\n')
    .concat('\n');
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-ssh-'));
const coordPath = path.join(dir, 'coord.git');
const names = ['worker-1', 'worker-2', 'main', 'alice'];
let sshd: Sshd | undefined;
// The hook runs bin/refci.js, which runs dist/: an old build would test old rules.
assertBuiltFrom(ROOT);
let why = sshdUnusable();
if (!why) {
  try {
    const init = await refci(['init', '--hooks', coordPath]);
    if (init.exitCode !== 0) throw new Error(init.stderr);
    const gate = path.join(dir, 'refci-git-gate');
    fs.writeFileSync(gate, documentedGate(coordPath), { mode: 0o755 });
    const keys: Record<string, string> = {};
    const files: Record<string, string> = {};
    for (const name of names) {
      const pair = await keyPair(dir, name);
      keys[name] = pair.publicKey;
      files[name] = pair.file;
    }
    sshd = await startSshd(dir, documentedAuthorizedKeys(gate, keys), files);
    // refci runs git with this process's environment: each host alias is one key.
    process.env.GIT_SSH_COMMAND = sshd.sshCommand;
    const probe = await git(['ls-remote', coord('main'), CONFIG_REF], { allowFailure: true });
    if (probe.exitCode !== 0) throw new Error(`git ls-remote over ssh failed: ${probe.stderr.trim().split('\n').pop()}`);
  } catch (error) {
    why = (error as Error).message.split('\n')[0];
    sshd?.stop();
  }
}
const real = why ? test.serial.skip : test.serial;
const skipped = why ? ` [skipped: ${why}]` : '';

test.after.always(() => {
  sshd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function coord(name: string): string {
  return `ssh://coord-${name}${coordPath}`;
}

const source = sourceRepo(path.join(dir, 'source'), 3);
const env = { REFCI_STATE_DIR: path.join(dir, 'state'), TMPDIR: os.tmpdir(), REFCI_ALLOW_LOCAL_REPOS: '1' };

async function enqueue(pr: number): Promise<string> {
  const { path: repo } = await source;
  const out = await refci(['enqueue', '--coord', coord('main'), '--repo', repo, '--base', 'master', '--head', `pr/${pr}`, '--pr', String(pr), '--pipeline', 'check'], { env });
  if (out.exitCode !== 0) throw new Error(out.stderr);
  return out.stdout.trim();
}

async function cloneAs(name: string): Promise<CoordClone> {
  const clone = await CoordClone.open(path.join(dir, 'clones', `${name}-${Math.random().toString(16).slice(2)}.git`), coord(name));
  await clone.fetch([...liveRefspecs({ workers: true }), CONFIG_REFSPEC]);
  return clone;
}

async function tipOf(ref: string): Promise<string | undefined> {
  const out = await git(['rev-parse', '--verify', '--quiet', ref], { cwd: coordPath, allowFailure: true });
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

real(`the gate of docs/deploy.md lets a key fetch and push this repository and run nothing else${skipped}`, async (t) => {
  const other = await execa('ssh', ['-F', path.join(dir, 'ssh_config'), 'coord-worker-1', 'ls', '/'], { reject: false });
  t.is(other.exitCode, 1);
  t.regex(other.stderr, /refci: this key may only fetch from and push to /);
});

real(`worker-1 claims and completes a job over ssh; the main host enqueues and archives it${skipped}`, async (t) => {
  const id = await enqueue(1);
  const work = await refci(['work', '--coord', coord('worker-1'), '--once', '--worker-id', 'worker-1'], { env: { ...env, REFCI_STATE_DIR: path.join(dir, 'state-w1') } });
  t.is(work.exitCode, 0, work.stdout + work.stderr);
  t.regex(work.stdout, new RegExp(`${id}: success`));
  t.notRegex(work.stdout + work.stderr, /refused|not pushed|not announced/);
  const result = (await git(['cat-file', '-p', `refs/ci/results/${id}:result.json`], { cwd: coordPath })).stdout;
  t.is(JSON.parse(result).worker, 'worker-1');
  t.truthy(await tipOf(workerRef('worker-1')), 'its presence went in');
  const collect = await refci(['collect', '--coord', coord('main'), '--once', '--out', path.join(dir, 'reports')], { env: { ...env, REFCI_STATE_DIR: path.join(dir, 'state-main') } });
  t.is(collect.exitCode, 0, collect.stderr);
  t.regex(collect.stdout, /archived 1 job/);
  t.is(await tipOf(`refs/ci/jobs/${id}`), undefined);
});

/** What the tries of worker-2 below need: a job worker-1 holds, and clones of each key. */
interface Held {
  id: string;
  lockTip: string;
  presenceTip: string;
  configTip: string;
  w1: CoordClone;
  w2: CoordClone;
  job: JobDescriptor;
  jobOid: string;
}
let held: Held | undefined;

type Pushed = Awaited<ReturnType<CoordClone['push']>>;

/** A push the hook refused: failed (not a lost race), with the hook's line for `ref` as its cause. */
function assertRefused(t: ExecutionContext, pushed: Pushed, ref: string, reason: RegExp): void {
  t.false(pushed.won);
  t.is(pushed.outcome, 'failed', 'a refusal, not a lost race');
  t.true(pushed.cause.startsWith(`${ref} [remote rejected] (pre-receive hook declined): refci: refused ${ref}: `), pushed.cause);
  t.regex(pushed.cause, reason);
}

real(`worker-1 claims a job over ssh and holds it${skipped}`, async (t) => {
  const id = await enqueue(2);
  const w1 = await cloneAs('worker-1');
  const live = (await readSnapshot(w1)).get(id)!;
  const job = descriptorOf(live)!;
  const lease = await Lease.acquire(w1, { id: 'worker-1', host: 'h1', leaseSec: 300, tools: {} }, { id, job, jobOid: live.job!.oid, attempt: 1, expect: null }, systemClock);
  t.truthy(lease);
  const w2 = await cloneAs('worker-2');
  const presenceTip = (await w2.refs('refs/ci/workers/')).get(workerRef('worker-1'));
  const configTip = await w2.ref(CONFIG_REF);
  t.truthy(presenceTip, 'worker-1 announced itself in the test before');
  held = { id, lockTip: lease!.tip, presenceTip: presenceTip!, configTip: configTip!, w1, w2, job, jobOid: live.job!.oid };
});

real(`worker-2 cannot take over worker-1's lock while its lease runs; refci's claim says why${skipped}`, async (t) => {
  const { id, job, jobOid, lockTip, w2 } = held!;
  const failures: string[] = [];
  const squat = await Lease.acquire(
    w2,
    { id: 'worker-2', host: 'h2', leaseSec: 300, tools: {} },
    { id, job, jobOid, attempt: 2, expect: lockTip, previousWorker: 'worker-1' },
    systemClock,
    (cause) => failures.push(cause),
  );
  t.is(squat, undefined);
  t.is(failures.length, 1);
  t.regex(failures[0] ?? '', new RegExp(`refci: refused ${lockRef(id)}: the lease of worker-1 on ${id} runs until \\S+ \\(its commit time plus 300s, less 30s of clock skew\\)`));
  t.is(await tipOf(lockRef(id)), lockTip);
});

real(`worker-2 cannot publish a result for worker-1's job, in its own name or in worker-1's${skipped}`, async (t) => {
  const { id, lockTip, w2 } = held!;
  const now = systemClock.now();
  const own = await publishResult(w2, { result: closingResult(id, 'success', 'all passed', 'worker-2', 1, now), artifacts: {}, parent: lockTip, lockTip, actor: 'worker-2', clock: systemClock });
  assertRefused(t, own, `refs/ci/results/${id}`, /the lock on \S+ is held by worker-1 \(attempt 1\); only the holder publishes a success result/);
  const forged = await publishResult(w2, { result: closingResult(id, 'success', 'all passed', 'worker-1', 1, now), artifacts: {}, parent: lockTip, lockTip, actor: 'worker-1', clock: systemClock });
  assertRefused(t, forged, `refs/ci/results/${id}`, /result.json names worker worker-1; worker worker-2 publishes only its own results/);
  t.is(await tipOf(`refs/ci/results/${id}`), undefined);
  t.is(await tipOf(lockRef(id)), lockTip);
});

real(`worker-2 cannot overwrite worker-1's presence${skipped}`, async (t) => {
  const { presenceTip, w2 } = held!;
  const now = systemClock.now();
  const presence = await writeRecord(
    w2.gitdir,
    PRESENCE,
    { version: 1, worker: 'worker-1', host: 'h2', kind: 'default', state: 'drained', at: new Date(now).toISOString(), pipelines: [], blocked: {}, tools: {}, job: null, seq: 99 },
    { parents: [presenceTip], author: signatureFor('worker', 'worker-2', now) },
  );
  assertRefused(t, await w2.push([{ ref: workerRef('worker-1'), newOid: presence, expect: presenceTip }]), workerRef('worker-1'), /worker worker-2 writes only refs\/ci\/workers\/worker-2/);
  t.is(await tipOf(workerRef('worker-1')), presenceTip);
});

real(`worker-2 cannot push the configuration branch${skipped}`, async (t) => {
  const { configTip, w2 } = held!;
  const config = await writeRecordCommit(w2.gitdir, { files: { 'config.json': '{"leaseSec": 5}\n' }, parents: [configTip], message: 'shorter leases', author: signatureFor('worker', 'worker-2', systemClock.now()) });
  assertRefused(t, await w2.push([{ ref: CONFIG_REF, newOid: config, expect: configTip }]), CONFIG_REF, /only operators change refs\/heads\/config, not worker worker-2/);
  t.is(await tipOf(CONFIG_REF), configTip);
});

real(`worker-2 cannot push a ref outside the id pattern, a non-commit or an oversized job.json${skipped}`, async (t) => {
  const { w2 } = held!;
  const author = signatureFor('worker', 'worker-2', systemClock.now());
  const jobCommit = await writeRecordCommit(w2.gitdir, { files: { 'job.json': '{}' }, parents: [], message: 'job', author });
  assertRefused(t, await w2.push([{ ref: 'refs/ci/jobs/a/b', newOid: jobCommit, expect: null }]), 'refs/ci/jobs/a/b', /the id "a\/b" does not match/);
  const blob = await writeBlob(w2.gitdir, '{"version": 1}\n');
  assertRefused(t, await w2.push([{ ref: 'refs/ci/locks/blobjob', newOid: blob, expect: null }]), 'refs/ci/locks/blobjob', /it points at a blob, not a commit/);
  const padded = `{"pad": "${'x'.repeat(70_000)}"}`;
  const big = await writeRecordCommit(w2.gitdir, { files: { 'job.json': padded }, parents: [], message: 'big', author });
  assertRefused(t, await w2.push([{ ref: 'refs/ci/jobs/bigjob', newOid: big, expect: null }]), 'refs/ci/jobs/bigjob', new RegExp(`job.json is ${padded.length} bytes, more than the limit of 65536`));
  for (const ref of ['refs/ci/jobs/a/b', 'refs/ci/locks/blobjob', 'refs/ci/jobs/bigjob']) t.is(await tipOf(ref), undefined, ref);
});

real(`worker-1 still publishes its result; an operator changes the configuration, the main host may not${skipped}`, async (t) => {
  const { id, lockTip, w1, configTip } = held!;
  const done = await publishResult(w1, { result: closingResult(id, 'success', 'all passed', 'worker-1', 1, systemClock.now()), artifacts: {}, parent: lockTip, lockTip, actor: 'worker-1', clock: systemClock });
  t.true(done.won, done.cause);
  const now = systemClock.now();
  const main = await cloneAs('main');
  const mainConfig = await writeRecordCommit(main.gitdir, { files: { 'config.json': '{}\n' }, parents: [configTip], message: 'x', author: signatureFor('main', 'main', now) });
  assertRefused(t, await main.push([{ ref: CONFIG_REF, newOid: mainConfig, expect: configTip }]), CONFIG_REF, /only operators change refs\/heads\/config, not the main host/);
  const alice = await cloneAs('alice');
  const aliceConfig = await writeRecordCommit(alice.gitdir, {
    files: { 'config.json': '{"admins": ["alice"]}\n' },
    parents: [configTip],
    message: 'only alice changes the configuration',
    author: signatureFor('operator', 'alice', now),
  });
  const changed = await alice.push([{ ref: CONFIG_REF, newOid: aliceConfig, expect: configTip }]);
  t.true(changed.won, changed.cause);
});

real(`a command a worker's key may not run fails with the repository's reason, not as a race; its own quarantine goes in${skipped}`, async (t) => {
  const denied = await refci(['worker', 'drain', 'worker-1', '--coord', coord('worker-2')], { env: { ...env, REFCI_STATE_DIR: path.join(dir, 'state-w2') } });
  t.is(denied.exitCode, 4, denied.stdout + denied.stderr);
  t.regex(denied.stderr, /the drain of worker-1 was not pushed: refs\/ci\/drain\/worker-1 \[remote rejected\] \(pre-receive hook declined\): refci: refused refs\/ci\/drain\/worker-1: workers do not write another worker's drain flag/);
  t.is(await tipOf('refs/ci/drain/worker-1'), undefined);
  // Its own drain flag is the one a worker writes: it quarantines itself.
  t.true(await drainWorker({ clone: await cloneAs('worker-2'), clock: systemClock, by: 'worker-2' }, 'worker-2', 'quarantined: the last 3 jobs failed on this host'));
  const drained = await refci(['worker', 'drain', 'worker-1', '--coord', coord('main')], { env: { ...env, REFCI_STATE_DIR: path.join(dir, 'state-main') } });
  t.is(drained.exitCode, 0, drained.stderr);
  t.truthy(await tipOf('refs/ci/drain/worker-1'));
});

/**
 * Signed results with real git, real ssh-keygen and keys made for the test:
 * a worker started with --signing-key signs its lock and result commits
 * (git verify-commit accepts them with the allowed_signers file of the
 * configuration branch); the collector publishes a result only when the
 * worker holding the lock signed it. Forgeries with another worker's key, an
 * unsigned result under requireSignatures, and a tampered signature are
 * archived as errors naming the problem, never published green. The
 * coordination repository is held in process; git verify-commit reads a copy
 * of it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { CoordClone } from '../../src/coord/clone.ts';
import { closeJob, closingResult } from '../../src/coord/close-job.ts';
import { writeRecord } from '../../src/coord/records.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { git } from '../../src/git/runner.ts';
import { openSigningKey, type SigningKey } from '../../src/git/ssh-signature.ts';
import { newNonce } from '../../src/claim/lease.ts';
import { signatureFor } from '../../src/protocol/actor.ts';
import { summaryPath } from '../../src/protocol/history.ts';
import { LOCK, type LockRecord } from '../../src/protocol/lock.ts';
import { liveRefspecs, lockRef, resultRef } from '../../src/protocol/refs.ts';
import { RESULT } from '../../src/protocol/result.ts';
import { refci } from '../helpers/cli.ts';
import { enqueuePr, gitReadable, scenarioTemplate, type Scenario } from '../helpers/coord.ts';
import { ManualClock } from '../helpers/temp.ts';
import { editConfig, readJson, readText, refExists, subjectsOf } from '../fleet/helpers.ts';

interface Fleet {
  s: Scenario;
  keyFile: (worker: string) => string;
  key: (worker: string) => Promise<SigningKey>;
  /** The configuration branch's allowed_signers, as a file git verify-commit reads. */
  allowedSigners: () => Promise<string>;
}

/** Keys for w1 and w2, made with ssh-keygen once for this file; removed when its process exits. */
const keys = (() => {
  let made: Promise<string> | undefined;
  return () =>
    (made ??= (async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-signing-keys-'));
      process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      for (const worker of ['w1', 'w2']) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${worker}@test`, '-f', path.join(dir, worker)]);
      return dir;
    })());
})();

/** A coordination repository whose configuration lists keys for w1 and w2 (added with refci worker add), made once per setting of requireSignatures. */
function fleetTemplate(requireSignatures: boolean) {
  return scenarioTemplate(3, {}, async (s) => {
    for (const worker of ['w1', 'w2']) {
      const added = await refci(['worker', 'add', worker, path.join(await keys(), `${worker}.pub`), '--coord', s.coord], { env: s.env });
      if (added.exitCode !== 0) throw new Error(added.stderr);
    }
    if (requireSignatures) await editConfig(s, (config) => (config.requireSignatures = true), 'require signatures');
  });
}
const templates = { required: fleetTemplate(true), optional: fleetTemplate(false) };
const plain = scenarioTemplate(0);

async function fleet(t: ExecutionContext, options: { requireSignatures: boolean }): Promise<Fleet> {
  const s = await templates[options.requireSignatures ? 'required' : 'optional'](t, 'memory');
  const dir = await keys();
  const keyFile = (worker: string) => path.join(dir, worker);
  return {
    s,
    keyFile,
    key: (worker) => openSigningKey(keyFile(worker), process.env),
    allowedSigners: async () => {
      const file = path.join(s.dir, 'allowed_signers');
      fs.writeFileSync(file, await readText(s, 'refs/heads/config:allowed_signers'));
      return file;
    },
  };
}

async function verifyCommit(f: Fleet, rev: string) {
  const file = await f.allowedSigners();
  return git(['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${file}`, 'verify-commit', rev], { cwd: await gitReadable(f.s), allowFailure: true });
}

async function collect(f: Fleet) {
  const out = path.join(f.s.dir, 'www');
  const run = await refci(['collect', '--coord', f.s.coord, '--once', '--out', out], { env: f.s.env });
  return { ...run, out };
}

/** Queues PR `pr` of the source repository for the check pipeline; returns the job id. */
async function enqueue(t: ExecutionContext, f: Fleet, pr: number): Promise<string> {
  const queued = await enqueuePr(f.s, pr, 'check');
  t.is(queued.exitCode, 0, queued.stderr);
  return queued.stdout.trim();
}

async function archived(f: Fleet, id: string): Promise<{ verdict: string; reason: string; worker: string }> {
  return readJson(f.s, `refs/ci/history:${summaryPath(id)}`);
}

/**
 * Another host with push access, writing refci's records with refci's own
 * functions: a signed claim for `holder`, then a result for the same attempt.
 */
async function hand(f: Fleet, name: string) {
  const clone = await CoordClone.open(path.join(f.s.dir, name, 'coord.git'), f.s.coord);
  const clock = new ManualClock(Date.now());
  const jobOf = async (id: string) => {
    await clone.fetch(liveRefspecs());
    return (await readSnapshot(clone)).get(id)!.job!.oid;
  };
  return {
    clone,
    async claim(id: string, holder: string, key: SigningKey | undefined): Promise<string> {
      const record: LockRecord = { version: 1, job: id, event: 'claim', worker: holder, host: name, attempt: 1, leaseSec: 300, nonce: newNonce(), at: new Date(clock.now()).toISOString(), tools: {} };
      const oid = await writeRecord(clone.gitdir, LOCK, record, { parents: [await jobOf(id)], author: signatureFor('worker', holder, clock.now()), sign: key?.sign });
      const pushed = await clone.push([{ ref: lockRef(id), newOid: oid, expect: null }]);
      if (!pushed.won) throw new Error(`claim not pushed: ${pushed.cause}`);
      return oid;
    },
    async heartbeat(id: string, holder: string, tip: string, key: SigningKey | undefined): Promise<string> {
      const record: LockRecord = { version: 1, job: id, event: 'heartbeat', worker: holder, host: name, attempt: 1, leaseSec: 300, nonce: newNonce(), at: new Date(clock.now()).toISOString(), tools: {} };
      const oid = await writeRecord(clone.gitdir, LOCK, record, { parents: [tip], author: signatureFor('worker', holder, clock.now()), sign: key?.sign });
      const pushed = await clone.push([{ ref: lockRef(id), newOid: oid, expect: tip }]);
      if (!pushed.won) throw new Error(`heartbeat not pushed: ${pushed.cause}`);
      return oid;
    },
    async result(id: string, worker: string, lockTip: string, key: SigningKey | undefined, status: 'success' | 'failure' = 'success'): Promise<void> {
      await clone.fetch(liveRefspecs());
      const result = closingResult(id, status, status === 'success' ? 'all 1 steps passed' : 'step show failed', worker, 1, clock.now());
      const published = await closeJob(clone, { result, artifacts: {}, parent: lockTip, lockTip, actor: worker, clock, sign: key?.sign });
      if (!published) throw new Error('result not pushed');
    },
  };
}

test('a worker with --signing-key signs its claim and result, git verify-commit accepts them, and the collector publishes its verdict', async (t) => {
  const f = await fleet(t, { requireSignatures: true });
  const id = await enqueue(t, f, 1);
  const work = await refci(['work', '--coord', f.s.coord, '--once', '--worker-id', 'w1', '--signing-key', f.keyFile('w1')], { env: f.s.env });
  t.is(work.exitCode, 0, work.stderr);
  t.regex(work.stdout, new RegExp(`${id}: success`));

  for (const rev of [resultRef(id), `${resultRef(id)}^`]) {
    const verified = await verifyCommit(f, rev);
    t.is(verified.exitCode, 0, `${rev}: ${verified.stderr}`);
    t.regex(verified.stderr, /^Good "git" signature for w1 with ED25519 key SHA256:/m, rev);
  }
  const repository = await gitReadable(f.s);
  t.regex((await git(['cat-file', 'commit', resultRef(id)], { cwd: repository })).stdout, /^gpgsig -----BEGIN SSH SIGNATURE-----\n [A-Za-z0-9+/]+/m);
  t.regex((await git(['log', '-1', '--format=%s', `${resultRef(id)}^`], { cwd: repository })).stdout, /^claim .* by w1, attempt 1/);

  const collected = await collect(f);
  t.is(collected.exitCode, 0, collected.stderr);
  t.regex(collected.stdout, new RegExp(`${id}: success: all 1 steps passed`));
  t.like(await archived(f, id), { verdict: 'success', worker: 'w1' });
  t.is(JSON.parse(fs.readFileSync(path.join(collected.out, id, 'summary.json'), 'utf8')).verdict, 'success');
});

test('a result signed by worker w2 for a job w1 holds is refused, whichever worker it names, and never published green', async (t) => {
  const f = await fleet(t, { requireSignatures: false });
  const [w1, w2] = [await f.key('w1'), await f.key('w2')];
  const own = await enqueue(t, f, 1);
  const named = await enqueue(t, f, 2);
  const genuine = await enqueue(t, f, 3);
  const holder = await hand(f, 'w1-host');
  const forger = await hand(f, 'w2-host');
  // w2 publishes in its own name on w1's lock (after a heartbeat of w1), and in w1's name with its own key.
  await forger.result(own, 'w2', await holder.heartbeat(own, 'w1', await holder.claim(own, 'w1', w1), w1), w2);
  await forger.result(named, 'w1', await holder.claim(named, 'w1', w1), w2);
  // w1's own result on the same kind of chain is published: the claim is found below the heartbeat.
  await holder.result(genuine, 'w1', await holder.heartbeat(genuine, 'w1', await holder.claim(genuine, 'w1', w1), w1), w1);

  const collected = await collect(f);
  t.is(collected.exitCode, 0, collected.stderr);
  const first = await archived(f, own);
  t.is(first.verdict, 'error');
  t.is(first.reason, 'result refused, not published: it names worker w2, but the lock it extends is held by w1 (attempt 1); the job may be run again with refci retry');
  const second = await archived(f, named);
  t.is(second.verdict, 'error');
  t.is(second.reason, 'result refused, not published: the result names worker w1 but is signed with the key of w2; the job may be run again with refci retry');
  for (const id of [own, named]) {
    t.is(JSON.parse(fs.readFileSync(path.join(collected.out, id, 'summary.json'), 'utf8')).verdict, 'error');
    t.regex(collected.stdout, new RegExp(`${id}: error: result refused, not published`));
  }
  t.like(await archived(f, genuine), { verdict: 'success', worker: 'w1' });
  // The forged commits stay reachable from the history: the audit trail keeps the evidence.
  const forged = await subjectsOf(f.s, 'refs/ci/history');
  t.regex(forged.join('\n'), new RegExp(`result ${named}: success by w1`));
});

test('with requireSignatures, an unsigned result of the lock holder is refused; without it, it is published as before', async (t) => {
  const f = await fleet(t, { requireSignatures: true });
  const id = await enqueue(t, f, 1);
  const holder = await hand(f, 'w1-host');
  await holder.result(id, 'w1', await holder.claim(id, 'w1', await f.key('w1')), undefined);
  t.not((await verifyCommit(f, resultRef(id))).exitCode, 0, 'git finds no signature either');
  await collect(f);
  t.like(await archived(f, id), {
    verdict: 'error',
    reason: 'result refused, not published: the result commit of worker w1 is not signed, and requireSignatures is on; the job may be run again with refci retry',
  });

  await editConfig(f.s, (config) => (config.requireSignatures = false), 'signatures optional');
  const next = await enqueue(t, f, 2);
  await holder.result(next, 'w1', await holder.claim(next, 'w1', undefined), undefined);
  await collect(f);
  t.like(await archived(f, next), { verdict: 'success' });
});

test('a tampered signature is refused even with requireSignatures off: a signed failure whose tree is swapped for a success', async (t) => {
  const f = await fleet(t, { requireSignatures: false });
  const id = await enqueue(t, f, 1);
  const holder = await hand(f, 'w1-host');
  const w1 = await f.key('w1');
  const claim = await holder.claim(id, 'w1', w1);
  await holder.result(id, 'w1', claim, w1, 'failure');
  const genuine = f.s.memory!.tip(resultRef(id))!;
  t.is((await verifyCommit(f, genuine)).exitCode, 0);

  // The same commit, signature and all, with result.json saying success: what a host with push access could make.
  const green = { ...(await readJson(f.s, `${genuine}:result.json`)), status: 'success', reason: 'all 1 steps passed' };
  const made = await gitReadable(f.s);
  const blob = (await git(['hash-object', '-w', '--stdin'], { cwd: made, input: `${JSON.stringify(green, null, 2)}\n` })).stdout.trim();
  const tree = (await git(['mktree'], { cwd: made, input: `100644 blob ${blob}\tresult.json\n` })).stdout.trim();
  const raw = (await git(['cat-file', 'commit', genuine], { cwd: made })).stdout;
  const tampered = (await git(['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: made, input: raw.replace(/^tree [0-9a-f]+/, `tree ${tree}`) })).stdout.trim();
  const swapped = await f.s.memory!.push(made, [
    { ref: resultRef(id), newOid: tampered, expect: genuine },
    { ref: lockRef(id), newOid: tampered, expect: genuine },
  ]);
  t.true(swapped.won, swapped.cause);
  const verified = await verifyCommit(f, tampered);
  t.not(verified.exitCode, 0);
  t.regex(verified.stderr, /BAD signature|incorrect signature/i, 'git verify-commit refuses it too');

  await collect(f);
  const summary = await archived(f, id);
  t.is(summary.verdict, 'error');
  t.regex(summary.reason, /^result refused, not published: the signature of the result is not a good signature of worker w1 \(key SHA256:\S+\): ssh-keygen: Signature verification failed: incorrect signature;/);
  t.is((await readJson(f.s, `${tampered}:${RESULT.file}`)).status, 'success', 'the green result is there, and was not published');
});

test('refci worker add writes allowed_signers on the configuration branch: a new key, the same key again, --replace, and keys it refuses', async (t) => {
  const s = await plain(t, 'memory');
  // Two keys of this file's, a and b.
  const dir = await keys();
  const file = (name: string) => path.join(dir, name === 'a' ? 'w1' : 'w2');
  const pub = (name: string) => fs.readFileSync(`${file(name)}.pub`, 'utf8').trim();
  const branchFile = () => readText(s, 'refs/heads/config:allowed_signers');

  const added = await refci(['worker', 'add', 'worker-1', `${file('a')}.pub`, '--coord', s.coord], { env: s.env });
  t.is(added.exitCode, 0, added.stderr);
  t.regex(added.stdout, /^allowed_signers: worker-1 signs with ssh-ed25519 SHA256:\S+; refs\/heads\/config is now [0-9a-f]{12}$/);
  t.is(await branchFile(), `worker-1 ${pub('a')}\n`);
  t.regex((await git(['log', '-1', '--format=%an: %s', 'refs/heads/config'], { cwd: await gitReadable(s) })).stdout, /^refci operator \S+: allowed_signers: add a key of worker worker-1 \(ssh-ed25519 SHA256:/);
  t.true(fs.existsSync(file('a')), 'the private key stays where it was');

  // The key itself instead of the file; the same key again changes nothing.
  const again = await refci(['worker', 'add', 'worker-1', pub('a'), '--coord', s.coord], { env: s.env });
  t.regex(again.stdout, /already; nothing done/);
  await refci(['worker', 'add', 'worker-2', pub('b'), '--coord', s.coord], { env: s.env });
  const second = await refci(['worker', 'add', 'worker-1', `${file('b')}.pub`, '--coord', s.coord], { env: s.env });
  t.is(second.exitCode, 0, second.stderr);
  t.is(await branchFile(), `worker-1 ${pub('a')}\nworker-2 ${pub('b')}\nworker-1 ${pub('b')}\n`, 'a second key, for rotation');
  const replaced = await refci(['worker', 'add', 'worker-1', `${file('b')}.pub`, '--replace', '--coord', s.coord], { env: s.env });
  t.regex(replaced.stdout, /its other keys removed/);
  t.is(await branchFile(), `worker-2 ${pub('b')}\nworker-1 ${pub('b')}\n`);
  const check = await refci(['config', 'check', '--coord', s.coord], { env: s.env });
  t.is(check.exitCode, 0, check.stderr);
  const shown = JSON.parse((await refci(['config', 'show', '--coord', s.coord], { env: s.env })).stdout);
  t.deepEqual(shown.config.allowedSigners.map((signer: { worker: string }) => signer.worker), ['worker-2', 'worker-1']);

  const privateKey = await refci(['worker', 'add', 'worker-3', file('a'), '--coord', s.coord], { env: s.env });
  t.is(privateKey.exitCode, 3);
  t.is(privateKey.stderr.trim(), `refci worker: ${file('a')} is a private key; give its .pub file; the private key never leaves the worker`);
  t.notRegex(privateKey.stderr, /BEGIN|AAAA/, 'the private key is not echoed');
  const garbage = await refci(['worker', 'add', 'worker-3', 'ssh-ed25519 AAAAnotakey', '--coord', s.coord], { env: s.env });
  t.is(garbage.exitCode, 3);
  t.regex(garbage.stderr, /the key is not valid base64|not a ssh-ed25519 key/);
  const badId = await refci(['worker', 'add', 'w*', pub('a'), '--coord', s.coord], { env: s.env });
  t.is(badId.exitCode, 2);
  t.is((await branchFile()).split('\n').filter(Boolean).length, 2, 'nothing pushed by the refused commands');
});

test('a hand-edited allowed_signers with a pattern refuses the configuration commit, and refci worker add says to fix it first', async (t) => {
  const s = await plain(t, 'memory');
  const keyFile = path.join(await keys(), 'w1');
  const pub = fs.readFileSync(`${keyFile}.pub`, 'utf8').trim();
  await editConfig(s, () => {}, 'a key for every worker', { allowed_signers: `* ${pub}\n` });
  const check = await refci(['config', 'check', '--coord', s.coord], { env: s.env });
  t.is(check.exitCode, 3);
  t.regex(check.stderr, /^allowed_signers line 1: "\*" must be one worker id \(lists and patterns are not accepted\)$/m);
  const add = await refci(['worker', 'add', 'w1', `${keyFile}.pub`, '--coord', s.coord], { env: s.env });
  t.is(add.exitCode, 3);
  t.regex(add.stderr, /allowed_signers on refs\/heads\/config has a line refci does not accept \(line 1: .*\); fix it with plain git first/);
});

test('without ssh-keygen, refci work --signing-key stops with one line before any work, and refci doctor reports it', async (t) => {
  const f = await fleet(t, { requireSignatures: false });
  const empty = path.join(f.s.dir, 'no-tools');
  fs.mkdirSync(empty);
  const env = { ...f.s.env, PATH: empty };
  const work = await refci(['work', '--coord', f.s.coord, '--once', '--worker-id', 'w1', '--signing-key', f.keyFile('w1')], { env });
  t.is(work.exitCode, 7);
  t.is(work.stderr.trim().split('\n').length, 1, work.stderr);
  t.regex(work.stderr, /^refci work: ssh-keygen is not installed on this host \(not found in PATH\), and signing with \S+ needs it; install openssh-client/);
  const doctor = await refci(['doctor', '--coord', f.s.coord, '--worker-id', 'w1', '--signing-key', f.keyFile('w1')], { env });
  t.regex(doctor.stdout, /^FAIL {2}signing key: ssh-keygen is not installed on this host/m);
  t.regex(doctor.stdout, /fix: install openssh-client/);
  const main = await refci(['doctor', '--coord', f.s.coord, '--main'], { env });
  t.regex(main.stdout, /^FAIL {2}signatures: signatures are checked when present; allowed_signers lists 2 worker\(s\), but ssh-keygen is not installed/m);
  const withTools = await refci(['doctor', '--coord', f.s.coord, '--worker-id', 'w1', '--signing-key', f.keyFile('w1')], { env: f.s.env });
  t.regex(withTools.stdout, /^ok {4}signing key: \S+ \(ssh-ed25519 SHA256:\S+\)$/m);
  t.regex(withTools.stdout, /^ok {4}signatures: allowed_signers lists this key for w1$/m);
  const unusable = await refci(['work', '--coord', f.s.coord, '--once', '--worker-id', 'w1', '--signing-key', `${f.keyFile('w1')}.pub`], { env: f.s.env });
  t.is(unusable.exitCode, 3);
  t.regex(unusable.stderr, /^refci work: signing key \S+\.pub cannot be used: .*; give a private key without a passphrase/);
});

test('a worker whose key allowed_signers does not list for it claims nothing when signatures are required, and says why', async (t) => {
  const f = await fleet(t, { requireSignatures: true });
  const id = await enqueue(t, f, 1);
  // w1 started with w2's key: its results would be refused.
  const wrong = await refci(['work', '--coord', f.s.coord, '--once', '--worker-id', 'w1', '--signing-key', f.keyFile('w2')], { env: f.s.env });
  t.is(wrong.exitCode, 9, wrong.stderr);
  t.regex(wrong.stderr, /its signing key SHA256:\S+ is not one allowed_signers lists for w1, so its results would be refused/);
  const unsigned = await refci(['work', '--coord', f.s.coord, '--once', '--worker-id', 'w1'], { env: f.s.env });
  t.is(unsigned.exitCode, 9);
  t.regex(unsigned.stderr, /requireSignatures is on and this worker signs nothing; start it with --signing-key/);
  t.false(await refExists(f.s, `refs/ci/locks/${id}`), 'nothing claimed');
});

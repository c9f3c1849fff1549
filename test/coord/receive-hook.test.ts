/**
 * The hook `refci init --hooks` installs, run by git itself on local pushes:
 * the pushed objects are read from git's quarantine, the pusher from
 * REFCI_PUSHER or GL_USER, the rules' configuration from the repository's
 * own configuration branch. (test/e2e/ssh-hook.test.ts runs it behind sshd.)
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CoordClone } from '../../src/coord/clone.ts';
import { writeRecord } from '../../src/coord/records.ts';
import { writeRecordCommit } from '../../src/git/objects.ts';
import { git } from '../../src/git/runner.ts';
import { openSigningKey } from '../../src/git/ssh-signature.ts';
import { execa } from 'execa';
import { signatureFor } from '../../src/protocol/actor.ts';
import { newJob, JOB } from '../../src/protocol/job.ts';
import { LOCK } from '../../src/protocol/lock.ts';
import { CONFIG_REF, CONFIG_REFSPEC } from '../../src/protocol/refs.ts';
import { assertBuiltFrom } from '../helpers/built-cli.ts';
import { ROOT, refci } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

assertBuiltFrom(ROOT);

const now = Date.now();
const author = signatureFor('test', 'test', now);

async function setup(t: ExecutionContext) {
  const dir = tempDir(t);
  const coord = path.join(dir, 'coord.git');
  const init = await refci(['init', '--hooks', coord]);
  t.is(init.exitCode, 0, init.stderr);
  const clone = await CoordClone.open(path.join(dir, 'local.git'), coord);
  await clone.fetch([CONFIG_REFSPEC]);
  return { dir, coord, clone, init };
}

/** `git push` as a pusher: the hook gets this environment (a local push starts receive-pack, and its hook, with it). */
async function push(clone: CoordClone, env: Record<string, string>, ...refspecs: string[]) {
  return git(['push', '--porcelain', '--', clone.remote, ...refspecs], { cwd: clone.gitdir, env, allowFailure: true });
}

test('refci init --hooks installs a pre-receive hook that runs this refci with this node, also into an existing repository', async (t) => {
  const { coord, init } = await setup(t);
  const hook = path.join(coord, 'hooks', 'pre-receive');
  t.regex(init.stdout, /installed .*hooks\/pre-receive/);
  const script = fs.readFileSync(hook, 'utf8');
  t.true(script.startsWith('#!/bin/sh\n'));
  t.true(script.includes(`exec '${process.execPath}' '${path.join(ROOT, 'bin', 'refci.js')}' hook pre-receive`), script);
  t.is(fs.statSync(hook).mode & 0o111, 0o111);
  fs.writeFileSync(hook, '#!/bin/sh\nexit 0\n');
  const again = await refci(['init', '--hooks', coord]);
  t.is(again.exitCode, 0, again.stderr);
  t.notRegex(again.stdout, /initialised/, 'an existing repository is not created again');
  t.true(fs.readFileSync(hook, 'utf8').includes('hook pre-receive'), 'the hook is replaced');
  const plain = await refci(['init', coord]);
  t.is(plain.exitCode, 3);
  t.regex(plain.stderr, /exists and is not empty; choose a new path \(or add --hooks to install only the hook\)/);
  const notRepo = path.join(path.dirname(coord), 'not-a-repo');
  fs.mkdirSync(notRepo);
  fs.writeFileSync(path.join(notRepo, 'x'), '');
  const refused = await refci(['init', '--hooks', notRepo]);
  t.is(refused.exitCode, 3);
  t.regex(refused.stderr, /is not a bare git repository/);
});

test('a push without a pusher identity is refused whole; the main host enqueues; a worker claims from the quarantine', async (t) => {
  const { coord, clone } = await setup(t);
  const job = newJob({ repo: 'https://example.org/r.git', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'check', createdAt: new Date(now).toISOString() });
  const jobOid = await writeRecord(clone.gitdir, JOB, job, { parents: [], author });
  const anonymous = await push(clone, {}, `${jobOid}:refs/ci/jobs/${job.id}`);
  t.not(anonymous.exitCode, 0);
  t.regex(anonymous.stderr, new RegExp(`remote: refci: refused refs/ci/jobs/${job.id}: no pusher identity: the ssh gate sets REFCI_PUSHER`));
  t.regex(anonymous.stdout, /\[remote rejected\] \(pre-receive hook declined\)/);

  const enqueued = await push(clone, { REFCI_PUSHER: 'main' }, `${jobOid}:refs/ci/jobs/${job.id}`);
  t.is(enqueued.exitCode, 0, enqueued.stderr);

  const lock = { version: 1 as const, job: job.id, event: 'claim' as const, worker: 'w1', host: 'h', attempt: 1, leaseSec: 300, nonce: '0123456789abcdef', at: new Date(now).toISOString(), tools: {} };
  const claim = await writeRecord(clone.gitdir, LOCK, lock, { parents: [jobOid], author });
  const foreign = await push(clone, { GL_USER: 'worker.w2' }, `${claim}:refs/ci/locks/${job.id}`);
  t.not(foreign.exitCode, 0);
  t.regex(foreign.stderr, /refci: refused refs\/ci\/locks\/\S+: lock.json names worker w1; worker w2 locks only in its own name/);
  const claimed = await push(clone, { GL_USER: 'worker.w1' }, `${claim}:refs/ci/locks/${job.id}`);
  t.is(claimed.exitCode, 0, claimed.stderr);
  t.is((await git(['rev-parse', `refs/ci/locks/${job.id}`], { cwd: coord })).stdout.trim(), claim);
  const drain = await writeRecordCommit(clone.gitdir, { files: { 'drain.json': '{}' }, parents: [], message: 'drain', author });
  const drained = await push(clone, { REFCI_PUSHER: 'worker:w1' }, `${drain}:refs/ci/drain/w2`);
  t.regex(drained.stderr, /refci: refused refs\/ci\/drain\/w2: workers do not write another worker's drain flag/);
});

test('the configuration branch: operators change it, only with a valid configuration, and its admins then decide', async (t) => {
  const { coord, clone } = await setup(t);
  const tip = (await clone.ref(CONFIG_REF))!;
  const commit = async (text: string, parent: string) => writeRecordCommit(clone.gitdir, { files: { 'config.json': text }, parents: [parent], message: 'config', author });
  const invalid = await commit('{"leaseSec": 0}\n', tip);
  const refused = await push(clone, { REFCI_PUSHER: 'operator:alice' }, `${invalid}:${CONFIG_REF}`);
  t.regex(refused.stderr, /refci: refused refs\/heads\/config: the configuration is refused: config.json field leaseSec: /);
  const bob = await commit('{"admins": ["bob"]}\n', tip);
  t.is((await push(clone, { REFCI_PUSHER: 'operator:alice' }, `${bob}:${CONFIG_REF}`)).exitCode, 0);
  const next = await commit('{"admins": ["alice"]}\n', bob);
  const notAdmin = await push(clone, { REFCI_PUSHER: 'operator:alice' }, `${next}:${CONFIG_REF}`);
  t.regex(notAdmin.stderr, /refci: refused refs\/heads\/config: operator alice is not in the configuration's admins \(bob\)/);
  t.is((await push(clone, { GL_USER: 'operator.bob' }, `${next}:${CONFIG_REF}`)).exitCode, 0);
  t.is((await git(['rev-parse', CONFIG_REF], { cwd: coord })).stdout.trim(), next);
});

test('a worker key claims only pipelines the configuration\'s workers rules give it', async (t) => {
  const { clone } = await setup(t);
  const tip = (await clone.ref(CONFIG_REF))!;
  const rules = await writeRecordCommit(clone.gitdir, { files: { 'config.json': '{"workers": {"w2": {"pipelines": ["noop"]}}}\n' }, parents: [tip], message: 'config', author });
  t.is((await push(clone, { REFCI_PUSHER: 'operator:alice' }, `${rules}:${CONFIG_REF}`)).exitCode, 0);
  const job = newJob({ repo: 'https://example.org/r.git', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'check', createdAt: new Date(now).toISOString() });
  const jobOid = await writeRecord(clone.gitdir, JOB, job, { parents: [], author });
  t.is((await push(clone, { REFCI_PUSHER: 'main' }, `${jobOid}:refs/ci/jobs/${job.id}`)).exitCode, 0);
  const claimBy = (worker: string) =>
    writeRecord(clone.gitdir, LOCK, { version: 1, job: job.id, event: 'claim', worker, host: 'h', attempt: 1, leaseSec: 300, nonce: '0123456789abcdef', at: new Date(now).toISOString(), tools: {} }, { parents: [jobOid], author });
  const refused = await push(clone, { REFCI_PUSHER: 'worker:w2' }, `${await claimBy('w2')}:refs/ci/locks/${job.id}`);
  t.not(refused.exitCode, 0);
  t.regex(refused.stderr, /refci: refused refs\/ci\/locks\/\S+: the configuration's workers rules do not let worker w2 run pipeline check/);
  t.is((await push(clone, { REFCI_PUSHER: 'worker:w1' }, `${await claimBy('w1')}:refs/ci/locks/${job.id}`)).exitCode, 0);
});

test('with requireSignatures, a worker key claims only with a commit signed by a key allowed_signers lists for it', async (t) => {
  const { dir, clone } = await setup(t);
  const keys: Record<string, string> = {};
  for (const worker of ['w1', 'w2']) {
    keys[worker] = path.join(dir, worker);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${worker}@test`, '-f', keys[worker]]);
  }
  const signers = ['w1', 'w2'].map((worker) => `${worker} ${fs.readFileSync(`${keys[worker]}.pub`, 'utf8').trim()}`).join('\n') + '\n';
  const tip = (await clone.ref(CONFIG_REF))!;
  const config = await writeRecordCommit(clone.gitdir, { files: { 'config.json': '{"requireSignatures": true}\n', allowed_signers: signers }, parents: [tip], message: 'config', author });
  const configured = await push(clone, { REFCI_PUSHER: 'operator:alice' }, `${config}:${CONFIG_REF}`);
  t.is(configured.exitCode, 0, configured.stderr);
  const job = newJob({ repo: 'https://example.org/r.git', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'check', createdAt: new Date(now).toISOString() });
  const jobOid = await writeRecord(clone.gitdir, JOB, job, { parents: [], author });
  t.is((await push(clone, { REFCI_PUSHER: 'main' }, `${jobOid}:refs/ci/jobs/${job.id}`)).exitCode, 0);
  const lock = { version: 1 as const, job: job.id, event: 'claim' as const, worker: 'w1', host: 'h', attempt: 1, leaseSec: 300, nonce: '0123456789abcdef', at: new Date(now).toISOString(), tools: {} };
  const claimSignedBy = async (key?: string) => {
    const signer = key ? await openSigningKey(key, process.env) : undefined;
    return writeRecord(clone.gitdir, LOCK, { ...lock, nonce: `${key ? (key.endsWith('w1') ? 'a1' : 'a2') : '00'}0123456789abcdef` }, { parents: [jobOid], author, ...(signer ? { sign: (payload: string) => signer.sign(payload) } : {}) });
  };
  const asW1 = { REFCI_PUSHER: 'worker:w1' };
  const unsigned = await push(clone, asW1, `${await claimSignedBy()}:refs/ci/locks/${job.id}`);
  t.regex(unsigned.stderr, /refused refs\/ci\/locks\/\S+: requireSignatures is on and this lock commit of worker w1 is not signed/);
  const forged = await push(clone, asW1, `${await claimSignedBy(keys.w2)}:refs/ci/locks/${job.id}`);
  t.regex(forged.stderr, /refused refs\/ci\/locks\/\S+: the signature of this lock commit is not a good signature of worker w1/);
  const signed = await push(clone, asW1, `${await claimSignedBy(keys.w1)}:refs/ci/locks/${job.id}`);
  t.is(signed.exitCode, 0, signed.stderr);
});

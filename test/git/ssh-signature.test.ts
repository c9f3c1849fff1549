/**
 * git's SSH signatures made in process (isomorphic-git's onSign, ssh-keygen -Y sign) and
 * checked the way the collector does (ssh-keygen -Y verify over the commit without its
 * gpgsig header), against real git verify-commit; and every way a key cannot be used.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { readCommitText, writeRecordCommit } from '../../src/git/objects.ts';
import { git } from '../../src/git/runner.ts';
import { openSigningKey, sshKeygenProblem, verifySshSignature } from '../../src/git/ssh-signature.ts';
import { isRefciError } from '../../src/errors.ts';
import { signatureFor } from '../../src/protocol/actor.ts';
import { formatAllowedSigners } from '../../src/protocol/allowed-signers.ts';
import { splitSignedCommit } from '../../src/protocol/signed-commit.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';

async function keyPair(dir: string, name: string, passphrase = ''): Promise<string> {
  const file = path.join(dir, name);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', file]);
  return file;
}

test('a record signed in process is a commit git verify-commit accepts, and the collector\'s check agrees', async (t) => {
  const dir = tempDir(t);
  const repo = await bareRepo(t);
  const key = await openSigningKey(await keyPair(dir, 'w1'), process.env);
  const other = await openSigningKey(await keyPair(dir, 'w2'), process.env);
  const author = signatureFor('worker', 'w1', Date.parse('2026-01-01T00:00:00Z'));
  const oid = await writeRecordCommit(repo, { files: { 'lock.json': '{}\n' }, parents: [], message: 'claim j by w1\n\nRefci-Kind: lock', author, sign: key.sign });
  const unsigned = await writeRecordCommit(repo, { files: { 'lock.json': '{}\n' }, parents: [], message: 'claim j by w1\n\nRefci-Kind: lock', author });

  const raw = await readCommitText(repo, oid);
  t.is(raw, (await git(['cat-file', 'commit', oid], { cwd: repo })).stdout);
  const split = splitSignedCommit(raw);
  // Without its signature the commit is exactly the unsigned one: the signature covers nothing else.
  t.is(split.payload, await readCommitText(repo, unsigned));
  t.regex(raw, /^committer .*\ngpgsig -----BEGIN SSH SIGNATURE-----\n( \S+\n)+ -----END SSH SIGNATURE-----\n\nclaim j by w1\n/m);

  const signersText = formatAllowedSigners([
    { worker: 'w1', key: key.publicKey },
    { worker: 'w2', key: other.publicKey },
  ]);
  const signers = path.join(dir, 'allowed_signers');
  fs.writeFileSync(signers, signersText);
  const verified = await git(['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${signers}`, 'verify-commit', oid], { cwd: repo, allowFailure: true });
  t.is(verified.exitCode, 0, verified.stderr);
  t.regex(verified.stderr, /Good "git" signature for w1 with ED25519 key/);

  const check = (principal: string, payload = split.payload) =>
    verifySshSignature({ allowedSigners: signersText, principal, signature: split.signature!, payload, env: process.env });
  t.deepEqual(await check('w1'), { good: true });
  t.like(await check('w2'), { good: false });
  t.like(await check('w3'), { good: false });
  const tampered = await check('w1', split.payload.replace('claim j', 'claim k'));
  t.false(tampered.good);
  if (!tampered.good) t.is(tampered.detail, 'ssh-keygen: Signature verification failed: incorrect signature');
});

test('a key refci cannot use is refused at once with one line naming it: missing, a passphrase, a public key', async (t) => {
  const dir = tempDir(t);
  const refused = async (file: string) => {
    const error = await t.throwsAsync(openSigningKey(file, process.env));
    t.true(isRefciError(error));
    t.is(error!.message.split('\n').length, 1, error!.message);
    return error!.message;
  };
  t.regex(await refused(path.join(dir, 'nothing')), /^signing key \S+\/nothing cannot be used: .*No such file or directory$/);
  t.regex(await refused(await keyPair(dir, 'locked', 'secret')), /^signing key \S+\/locked cannot be used: .*incorrect passphrase/);
  const pub = `${await keyPair(dir, 'open')}.pub`;
  fs.chmodSync(pub, 0o600);
  t.regex(await refused(pub), /^signing key \S+\/open\.pub cannot be used: /);
});

test('without ssh-keygen on PATH, signing and checking fail as a missing tool, in one line', async (t) => {
  const dir = tempDir(t);
  const key = await keyPair(dir, 'w1');
  const env = { ...process.env, PATH: path.join(dir, 'empty') };
  const error = await t.throwsAsync(openSigningKey(key, env));
  t.true(isRefciError(error) && error.code === 'tool');
  t.regex(error!.message, /^ssh-keygen is not installed on this host \(not found in PATH\), and signing with \S+\/w1 needs it$/);
  t.regex((await sshKeygenProblem(env)) ?? '', /^ssh-keygen is not installed/);
  t.is(await sshKeygenProblem(process.env), undefined);
});

/**
 * The signing-key commands of docs/deploy.md (section 7), run as written, one line at a time,
 * with `refci` on PATH as the built CLI, $HOME and $COORD of the test: the worker makes its key,
 * an operator lists it, doctor approves it, and the worker's next job is signed, as git
 * verify-commit confirms; the collector publishes it.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { git } from '../../src/git/runner.ts';
import { summaryPath } from '../../src/protocol/history.ts';
import { resultRef } from '../../src/protocol/refs.ts';
import { assertBuiltFrom } from '../helpers/built-cli.ts';
import { REFCI, refci, ROOT } from '../helpers/cli.ts';
import { enqueuePr, scenario } from '../helpers/coord.ts';
import { readJson } from '../fleet/helpers.ts';

/** The command lines of the block between the signing-keys markers (comments left out). */
function documentedLines(): string[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const block = /<!-- signing-keys:start -->\n```sh\n([\s\S]*?)```\n<!-- signing-keys:end -->/.exec(doc);
  if (!block) throw new Error('docs/deploy.md has no signing-keys block');
  return block[1]!.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
}

test('the signing-key lines of docs/deploy.md make a key, list it, and the worker signs with it', async (t) => {
  assertBuiltFrom(ROOT);
  const s = await scenario(t, 'file', 1);
  const queued = await enqueuePr(s, 1, 'check');
  t.is(queued.exitCode, 0, queued.stderr);
  const id = queued.stdout.trim();
  const home = path.join(s.dir, 'home');
  const bin = path.join(s.dir, 'bin');
  fs.mkdirSync(home);
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'refci'), `#!/bin/sh\nexec node ${JSON.stringify(REFCI)} "$@"\n`, { mode: 0o755 });
  const env = { ...s.env, HOME: home, COORD: s.coord, PATH: `${bin}:${process.env.PATH ?? ''}` };

  const lines = documentedLines();
  t.deepEqual(
    lines.map((line) => line.split(' ').slice(0, 2).join(' ')),
    ['mkdir -p', 'ssh-keygen -t', 'refci worker', 'refci doctor', 'refci work'],
  );
  for (const line of lines) {
    const run = await execa('bash', ['-uo', 'pipefail', '-c', line], { env, reject: false, cwd: s.dir });
    const output = `${line}\n${run.stdout}\n${run.stderr}`;
    if (line.startsWith('refci doctor')) {
      // pkgcheck and pmaint are not on this machine: doctor fails on them, and only on them.
      t.regex(String(run.stdout), /^ok {4}signing key: \S+\/home\/\.config\/refci\/signing-key \(ssh-ed25519 SHA256:\S+\)$/m, output);
      t.regex(String(run.stdout), /^ok {4}signatures: allowed_signers lists this key for worker-1$/m, output);
      t.deepEqual(String(run.stdout).split('\n').filter((l) => l.startsWith('FAIL')).map((l) => l.split(':')[0]), ['FAIL  tool pkgcheck', 'FAIL  tool pmaint'], output);
    } else {
      t.is(run.exitCode, 0, output);
    }
    if (line.startsWith('refci work ')) t.regex(String(run.stdout), new RegExp(`${id}: success`), output);
  }

  const signers = path.join(s.dir, 'allowed_signers');
  fs.writeFileSync(signers, (await git(['show', 'refs/heads/config:allowed_signers'], { cwd: s.coordPath })).stdout);
  t.regex(fs.readFileSync(signers, 'utf8'), /^worker-1 ssh-ed25519 \S+ refci signing key of worker-1\n$/);
  const verified = await git(['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${signers}`, 'verify-commit', resultRef(id)], { cwd: s.coordPath, allowFailure: true });
  t.is(verified.exitCode, 0, verified.stderr);
  t.regex(verified.stderr, /Good "git" signature for worker-1/);

  const collected = await refci(['collect', '--coord', s.coord, '--once', '--out', path.join(s.dir, 'www')], { env: s.env });
  t.is(collected.exitCode, 0, collected.stderr);
  t.like(await readJson(s, `refs/ci/history:${summaryPath(id)}`), { verdict: 'success', worker: 'worker-1' });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { defaultConfig } from '../../src/config/defaults.ts';
import { RefciError } from '../../src/errors.ts';
import { workerHooks } from '../../src/run/kinds.ts';
import { detectSandbox, sandboxArgv, type SandboxProbe } from '../../src/host/sandbox.ts';
import { tempDir } from '../helpers/temp.ts';
import { preparedTrees } from '../helpers/trees.ts';
import { STANDIN_BIN } from './helpers.ts';

const WORKING: SandboxProbe = { available: true, bwrap: '/usr/bin/bwrap', version: 'bubblewrap 0.8.0', userns: true, reason: 'works' };
const MISSING: SandboxProbe = { available: false, userns: false, reason: 'bwrap is not on PATH (install bubblewrap)' };

test('off: the argv as it is', (t) => {
  t.deepEqual(sandboxArgv(['pkgcheck', 'scan'], { mode: 'off', probe: WORKING, writable: ['/w'] }), {
    argv: ['pkgcheck', 'scan'],
    sandboxed: false,
    reason: 'sandbox off in the configuration',
  });
});

test('auto without bwrap runs unsandboxed and says why; required refuses', (t) => {
  t.deepEqual(sandboxArgv(['true'], { mode: 'auto', probe: MISSING, writable: ['/w'] }), {
    argv: ['true'],
    sandboxed: false,
    reason: 'not sandboxed: bwrap is not on PATH (install bubblewrap)',
  });
  const error = t.throws(() => sandboxArgv(['true'], { mode: 'required', probe: MISSING, writable: ['/w'] }), { instanceOf: RefciError });
  t.is(error?.code, 'tool');
  t.regex(error?.hint ?? '', /install bubblewrap/);
});

test('the bwrap command line: no network, no capabilities, only the system folders, tmpfs /tmp before the writable binds', (t) => {
  const probe: SandboxProbe = {
    ...WORKING,
    system: [
      { kind: 'ro-bind', path: '/usr' },
      { kind: 'symlink', target: 'usr/bin', path: '/bin' },
      { kind: 'ro-bind', path: '/etc/passwd' },
    ],
    prlimit: '/usr/bin/prlimit',
  };
  const wrapped = sandboxArgv(['pkgcheck', 'scan', '-R', 'JsonStream'], {
    mode: 'auto',
    probe,
    writable: ['/tmp/job/merged', '/tmp/job/merged'],
    readable: ['/opt/pkgcheck'],
    cwd: '/tmp/job/merged',
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', GITHUB_TOKEN: 'ghp_secret' },
    limits: { processes: 8192, memoryMB: 4096 },
  });
  t.true(wrapped.sandboxed);
  t.deepEqual(wrapped.argv, [
    '/usr/bin/bwrap',
    '--die-with-parent',
    '--new-session',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/bin',
    '/bin',
    '--ro-bind',
    '/etc/passwd',
    '/etc/passwd',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/var/tmp',
    '--ro-bind-try',
    '/opt/pkgcheck',
    '/opt/pkgcheck',
    '--bind',
    '/tmp/job/merged',
    '/tmp/job/merged',
    '--dir',
    '/tmp/home',
    '--clearenv',
    '--setenv',
    'PATH',
    '/usr/bin:/bin',
    '--setenv',
    'LANG',
    'C.UTF-8',
    '--setenv',
    'HOME',
    '/tmp/home',
    '--setenv',
    'TMPDIR',
    '/tmp',
    '--setenv',
    'XDG_CACHE_HOME',
    '/tmp/.cache',
    '--chdir',
    '/tmp/job/merged',
    '--',
    '/usr/bin/prlimit',
    '--nproc=8192:8192',
    `--as=${4096 * 1024 * 1024}:${4096 * 1024 * 1024}`,
    '--',
    'pkgcheck',
    'scan',
    '-R',
    'JsonStream',
  ]);
  t.is(wrapped.reason, 'bwrap: no network, system folders read-only, writable: /tmp/job/merged; limits: 8192 processes, 4096 MB of memory');
  const noPrlimit = sandboxArgv(['true'], { mode: 'auto', probe: { ...probe, prlimit: undefined }, writable: ['/w'], limits: { processes: 100 } });
  t.is(noPrlimit.argv.at(-2), '--', 'the command follows bwrap directly');
  t.regex(noPrlimit.reason, /no process or memory limits: prlimit is not on PATH \(install util-linux\)/);
});

test('uid, gid, cache folder and extra environment', (t) => {
  const wrapped = sandboxArgv(['true'], { mode: 'required', probe: WORKING, writable: ['/w'], cacheDir: '/var/cache/refci', uid: 65534, gid: 65534, setenv: { LC_ALL: 'C' } });
  const args = wrapped.argv.join(' ');
  t.true(args.includes('--bind /var/cache/refci /var/cache/refci --dir /tmp/home --clearenv '));
  t.true(args.includes('--setenv XDG_CACHE_HOME /var/cache/refci --setenv LC_ALL C'));
  t.true(args.includes('--unshare-user --uid 65534 --gid 65534 -- true'));
  const noUserns = { ...WORKING, userns: false };
  const withoutUid = sandboxArgv(['true'], { mode: 'auto', probe: noUserns, writable: ['/w'], uid: 1000 });
  t.true(withoutUid.sandboxed, 'auto keeps the rest of the sandbox');
  t.false(withoutUid.argv.includes('--unshare-user'));
  t.regex(withoutUid.reason, /without a separate uid: a separate uid is configured but user namespaces are not allowed/);
  t.throws(() => sandboxArgv(['true'], { mode: 'required', probe: noUserns, writable: ['/w'], uid: 1000 }), { instanceOf: RefciError });
});

test('bad folders and an empty command are configuration errors', (t) => {
  for (const writable of [['relative/dir'], ['/']]) {
    const error = t.throws(() => sandboxArgv(['true'], { mode: 'auto', probe: WORKING, writable }), { instanceOf: RefciError });
    t.is(error?.code, 'invalid-config');
  }
  t.throws(() => sandboxArgv([], { mode: 'auto', probe: WORKING, writable: ['/w'] }), { instanceOf: RefciError });
});

test('detectSandbox: no bwrap on PATH', async (t) => {
  const probe = await detectSandbox({ path: tempDir(t) });
  t.false(probe.available);
  t.is(probe.reason, 'bwrap is not on PATH (install bubblewrap)');
});

// Real sandboxes. CI installs bubblewrap; elsewhere these are skipped, and say
// why. ava wants tests declared synchronously, hence the synchronous look first.
const check = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-net', 'true'], { encoding: 'utf8' });
const usable = check.status === 0;
const why = usable ? '' : ` [skipped: ${check.error ? 'bwrap is not on PATH (install bubblewrap)' : `bwrap cannot create a sandbox here: ${check.stderr.trim()}`}]`;
const userns = usable && spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-user', '--uid', '65534', 'true']).status === 0;
const real = usable ? test : test.skip;
let probed: Promise<SandboxProbe> | undefined;

async function inSandbox(work: string, command: string[], extra: { uid?: number } = {}) {
  const probe = await (probed ??= detectSandbox());
  const readable = path.isAbsolute(command[0]) ? [path.dirname(command[0])] : [];
  const wrapped = sandboxArgv(command, { mode: 'required', probe, writable: [work], readable, cwd: work, ...extra });
  const result = await execa(wrapped.argv[0], wrapped.argv.slice(1), { reject: false, stripFinalNewline: false });
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode };
}

real(`a sandboxed step writes its work folder and nothing else${why}`, async (t) => {
  const work = tempDir(t);
  const outside = fs.mkdtempSync(path.join(os.platform() === 'linux' ? '/var/tmp' : os.tmpdir(), 'refci-outside-'));
  t.teardown(() => fs.rmSync(outside, { recursive: true, force: true }));
  const otherTmp = tempDir(t);
  const script = [
    'echo inside > result.txt',
    `echo outside > ${outside}/escaped.txt 2>/dev/null && echo wrote-outside`,
    `echo tmp > ${otherTmp}/escaped.txt 2>/dev/null && echo wrote-other-tmp`,
    'echo home > "$HOME/refci-sandbox-escape" 2>/dev/null && echo wrote-home',
    'echo scratch > /tmp/scratch.txt && echo tmp-ok',
    'pwd',
  ].join('; ');
  const out = await inSandbox(work, ['sh', '-c', script]);
  t.is(fs.readFileSync(path.join(work, 'result.txt'), 'utf8'), 'inside\n');
  t.false(out.stdout.includes('wrote-outside'), out.stdout);
  // HOME is the sandbox's own /tmp/home: writable, and gone with the sandbox (the real home is checked below).
  t.true(out.stdout.includes('wrote-home'), out.stdout);
  t.false(fs.existsSync(path.join(outside, 'escaped.txt')));
  t.false(fs.existsSync(path.join(otherTmp, 'escaped.txt')), 'the host /tmp is not the sandbox /tmp');
  t.false(fs.existsSync(path.join(os.homedir(), 'refci-sandbox-escape')));
  t.true(out.stdout.includes('tmp-ok'), 'a private /tmp is writable');
  t.true(out.stdout.trimEnd().endsWith(work), 'starts in the work folder');
});

real(`a sandboxed step has no network interface but lo${why}`, async (t) => {
  const out = await inSandbox(tempDir(t), ['cat', '/proc/net/dev']);
  t.is(out.exitCode, 0, out.stderr);
  const interfaces = out.stdout
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0].trim())
    .filter(Boolean);
  t.deepEqual(interfaces, ['lo']);
});

real(`the pkgcheck stand-in runs in the sandbox${why}`, async (t) => {
  const work = tempDir(t);
  fs.mkdirSync(path.join(work, 'profiles'));
  fs.writeFileSync(path.join(work, 'profiles', 'repo_name'), 'sandboxed\n');
  fs.mkdirSync(path.join(work, 'app-misc', 'x'), { recursive: true });
  fs.writeFileSync(path.join(work, 'app-misc', 'x', 'x-1.ebuild'), 'EAPI=2\nDESCRIPTION="Sandboxed package here"\nLICENSE=""\nSLOT="0"\n');
  const out = await inSandbox(work, [path.join(STANDIN_BIN, 'pkgcheck'), 'scan', '-R', 'JsonStream', '-k', 'BannedEapi']);
  t.is(out.exitCode, 0, out.stderr);
  t.is(out.stdout, '{"__class__": "BannedEapi", "category": "app-misc", "package": "x", "version": "1", "eapi": "2"}\n');
});

(userns ? test : test.skip)(`a configured uid is the uid inside${userns ? '' : ' [skipped: no bwrap or no user namespaces]'}`, async (t) => {
  const out = await inSandbox(tempDir(t), ['id', '-u'], { uid: 65534 });
  t.is(out.stdout, '65534\n');
});

(userns ? test : test.skip)(`sandboxUid in the configuration: the worker's sandboxed steps run as that uid${userns ? '' : ' [skipped: no bwrap or no user namespaces]'}`, async (t) => {
  const config = { ...defaultConfig(), sandbox: 'required' as const, sandboxUid: 65534 };
  const hooks = await workerHooks(config, tempDir(t));
  const wrapped = hooks.wrap(['id', '-u'], { name: 'who', run: ['id', '-u'], timeoutSec: 10, sandbox: true }, preparedTrees(tempDir(t)));
  t.true(wrapped.sandboxed);
  const out = await execa(wrapped.argv[0]!, wrapped.argv.slice(1));
  t.is(out.stdout, '65534');
});

real(`a sandboxed step sees only the allow-listed environment: no token of the worker's${why}`, async (t) => {
  const config = { ...defaultConfig(), sandbox: 'required' as const };
  const hooks = await workerHooks(config, tempDir(t));
  const trees = preparedTrees(tempDir(t));
  const work = trees.workdir;
  const step = { name: 'env', run: ['env'], timeoutSec: 10, sandbox: true, env: { STEP_VAR: 'from the step' } };
  const wrapped = hooks.wrap(['env'], step, trees);
  t.true(wrapped.sandboxed);
  // The worker's own environment, as runStep gives it to bwrap: tokens included.
  const out = await execa(wrapped.argv[0]!, wrapped.argv.slice(1), {
    env: { GITHUB_TOKEN: 'ghp_workersecret', CODEBERG_TOKEN: 'cb_workersecret', SSH_AUTH_SOCK: '/run/agent', STEP_VAR: 'from the step' },
    cwd: work,
  });
  const seen = Object.fromEntries(out.stdout.split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  t.notRegex(out.stdout, /workersecret|\/run\/agent/);
  // PWD: bwrap sets it with --chdir.
  const allowed = new Set(['PATH', 'LANG', 'LC_ALL', 'HOME', 'TMPDIR', 'XDG_CACHE_HOME', 'PWD', 'STEP_VAR']);
  t.deepEqual(Object.keys(seen).filter((name) => !allowed.has(name)), []);
  t.is(seen.HOME, '/tmp/home');
  t.is(seen.TMPDIR, '/tmp');
  t.is(seen.PATH, process.env.PATH ?? '');
  t.is(seen.STEP_VAR, 'from the step');
});

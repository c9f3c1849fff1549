/**
 * Runs a step inside bubblewrap when the host has it: the PR's ebuilds and
 * eclasses are bash that pkgcheck and pmaint source, so a step gets no
 * network, a view of the host that holds only what tools need, and one
 * writable folder, its own tree.
 *
 * The sandbox, in bwrap terms:
 *   --die-with-parent --new-session          killed with the worker; no tty to push input into
 *   --unshare-net --unshare-ipc --unshare-pid --unshare-uts
 *                                            no network (abstract sockets included), no host IPC or processes
 *   --cap-drop ALL                           no capabilities, even for a worker running as root
 *   --ro-bind /usr /usr ...                  the system folders and a short list of /etc (sandbox-view.ts), read-only;
 *                                            not /, /home, /root, /run or the worker's state; /etc/portage's
 *                                            make.conf and signing keys masked by empty ones
 *   --dev /dev --proc /proc                  fresh, for the new namespaces
 *   --tmpfs /tmp --tmpfs /var/tmp            private scratch, gone with the step
 *   --ro-bind-try TOOLS                      the tool installation (PATH folders, a venv), masters, host extras
 *   --bind TREE TREE                         the only writable host folders: the step's own tree and cache
 *   --dir /tmp/home                          HOME, empty and private
 *   --clearenv --setenv ...                  only the allow-list below: no token of the worker's reaches PR code
 *   --setenv XDG_CACHE_HOME ...              pkgcheck insists on a writable cache dir
 *   [--unshare-user --uid N --gid N]         when configured
 *   prlimit --nproc --as                     process and memory limits, when prlimit exists
 * bwrap itself sets no_new_privs, so nothing inside gains privileges through setuid programs.
 *
 * The uid: inside a user namespace `--uid` changes the uid the step sees, but
 * files it writes are still owned by the worker's own uid outside. Real
 * privilege separation comes from running the worker as an unprivileged user.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { RefciError } from '../errors.ts';
import { systemMounts, type SandboxMount } from './sandbox-view.ts';
import { findOnPath } from './tool-path.ts';
import { processEnd, processStart } from '../git/observe.ts';

export type SandboxMode = 'auto' | 'required' | 'off';

export interface SandboxProbe {
  /** bwrap was found and `bwrap --ro-bind / / --unshare-net true` worked. */
  available: boolean;
  /** Path of the bwrap binary, when found. */
  bwrap?: string;
  /** `bwrap --version`, e.g. `bubblewrap 0.8.0`. */
  version?: string;
  /** A separate uid works (`--unshare-user --uid`): user namespaces are allowed. */
  userns: boolean;
  /** Why not available, or what was checked. */
  reason: string;
  /** The system folders and /etc entries a step sees (sandbox-view.ts); the whole of / when absent (older probes). */
  system?: SandboxMount[];
  /** prlimit, which applies the process and memory limits; limits are skipped, and the reason says so, without it. */
  prlimit?: string;
}

export interface DetectOptions {
  /** Search path; defaults to process.env.PATH. */
  path?: string;
  timeoutMs?: number;
}

/** Is bwrap on PATH, and can it build the namespaces a sandbox needs on this host? */
export async function detectSandbox(options: DetectOptions = {}): Promise<SandboxProbe> {
  const bwrap = findOnPath('bwrap', options.path ?? process.env.PATH ?? '');
  if (!bwrap) return { available: false, userns: false, reason: 'bwrap is not on PATH (install bubblewrap)' };
  const timeout = options.timeoutMs ?? 10_000;
  const version = await probeRun(bwrap, ['--version'], { reject: false, timeout });
  const versionText = String(version.stdout ?? '').trim() || undefined;
  const probe = await probeRun(bwrap, ['--ro-bind', '/', '/', '--unshare-net', '--die-with-parent', 'true'], { reject: false, timeout });
  if (probe.exitCode !== 0) {
    const detail = String(probe.stderr ?? '').trim().split('\n')[0] || `exit code ${probe.exitCode}`;
    return { available: false, bwrap, version: versionText, userns: false, reason: `bwrap cannot create a sandbox here: ${detail}` };
  }
  const user = await probeRun(bwrap, ['--ro-bind', '/', '/', '--unshare-user', '--uid', '65534', '--gid', '65534', 'true'], {
    reject: false,
    timeout,
  });
  const prlimit = findOnPath('prlimit', options.path ?? process.env.PATH ?? '');
  return {
    available: true,
    bwrap,
    version: versionText,
    userns: user.exitCode === 0,
    system: systemMounts(),
    ...(prlimit ? { prlimit } : {}),
    reason: `${versionText ?? 'bwrap'} works (network namespace${user.exitCode === 0 ? ', user namespace' : ''})`,
  };
}

/** One probe process, counted like git's (git/observe.ts). */
async function probeRun(bwrap: string, args: string[], options: { reject: false; timeout: number }) {
  const started = processStart();
  try {
    return await execa(bwrap, args, options);
  } finally {
    processEnd('probe:bwrap', started);
  }
}

export interface SandboxOptions {
  /** `off`: never; `auto`: when available; `required`: throw when not available. */
  mode: SandboxMode;
  /** From detectSandbox. */
  probe: SandboxProbe;
  /** Absolute host folders the step may write: its work tree. Nothing else is writable. */
  writable: string[];
  /**
   * Absolute host folders bound read-only again after the private /tmp: a
   * tool installed below /tmp (a checkout there) would otherwise vanish.
   */
  readable?: string[];
  /** Folder the step starts in (inside the sandbox the same path); defaults to the caller's cwd. */
  cwd?: string;
  /**
   * A writable cache folder kept between steps (bound read-write, exported as
   * XDG_CACHE_HOME). Without it the cache lives in the sandbox's private /tmp.
   */
  cacheDir?: string;
  /** Run as this uid/gid inside a user namespace (needs `probe.userns`). */
  uid?: number;
  gid?: number;
  /** Extra environment for the step, set inside the sandbox (the step's own `env`). */
  setenv?: Record<string, string>;
  /** The worker's environment, where PATH, LANG and LC_ALL are copied from; process.env by default. */
  env?: Record<string, string | undefined>;
  /** Limits for the step's processes (prlimit): how many processes its user may run, and address space. */
  limits?: SandboxLimits;
}

export interface SandboxLimits {
  processes?: number;
  memoryMB?: number;
}

/**
 * Variables a sandboxed step inherits from the worker; everything else is dropped (GITHUB_TOKEN,
 * CODEBERG_TOKEN, SSH_AUTH_SOCK, ...). The sandbox then sets HOME and TMPDIR to its private /tmp,
 * XDG_CACHE_HOME to the cache folder, and the step's own `env` last.
 */
export const SANDBOX_INHERITED_ENV = ['PATH', 'LANG', 'LC_ALL'] as const;
export const SANDBOX_HOME = '/tmp/home';

export interface SandboxedArgv {
  argv: string[];
  sandboxed: boolean;
  /** Why sandboxed or not, for the result record. */
  reason: string;
}

/** Wraps a step's argv in bwrap, or returns it as it is with the reason why not. */
export function sandboxArgv(argv: string[], options: SandboxOptions): SandboxedArgv {
  if (argv.length === 0) throw new RefciError('invalid-config', 'a step has an empty command');
  if (options.mode === 'off') return { argv, sandboxed: false, reason: 'sandbox off in the configuration' };
  if (!options.probe.available || !options.probe.bwrap) {
    if (options.mode === 'required') {
      throw new RefciError('tool', `the configuration requires a sandbox, but ${options.probe.reason}`, 'install bubblewrap, or set sandbox to auto');
    }
    return { argv, sandboxed: false, reason: `not sandboxed: ${options.probe.reason}` };
  }
  let wantsUid = options.uid !== undefined || options.gid !== undefined;
  let uidNote = '';
  if (wantsUid && !options.probe.userns) {
    const reason = 'a separate uid is configured but user namespaces are not allowed on this host';
    if (options.mode === 'required') throw new RefciError('tool', reason, 'allow unprivileged user namespaces, or drop the uid setting');
    // auto: the rest of the sandbox is worth having without the uid.
    wantsUid = false;
    uidNote = `; without a separate uid: ${reason}`;
  }
  for (const dir of [...options.writable, ...(options.cacheDir ? [options.cacheDir] : [])]) {
    if (!path.isAbsolute(dir)) throw new RefciError('invalid-config', `sandbox folder ${dir} is not an absolute path`);
    if (path.resolve(dir) === '/') throw new RefciError('invalid-config', 'the sandbox cannot make / writable');
  }

  const args = [
    options.probe.bwrap,
    '--die-with-parent',
    '--new-session',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--cap-drop',
    'ALL',
  ];
  for (const mount of options.probe.system ?? [{ kind: 'ro-bind', path: '/' }]) {
    if (mount.kind === 'symlink') args.push('--symlink', mount.target, mount.path);
    else if (mount.kind === 'mask') args.push(...(mount.folder ? ['--tmpfs', mount.path] : ['--ro-bind', '/dev/null', mount.path]));
    else args.push('--ro-bind', mount.source ?? mount.path, mount.path);
  }
  // The private scratch goes before the binds: a tree below /tmp is then mounted inside it.
  args.push('--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/var/tmp');
  // -try: a PATH folder that does not exist on this host is no reason to fail the step.
  for (const dir of dedupe((options.readable ?? []).map((d) => path.resolve(d)))) args.push('--ro-bind-try', dir, dir);
  for (const dir of dedupe(options.writable.map((d) => path.resolve(d)))) args.push('--bind', dir, dir);
  const cache = options.cacheDir ? path.resolve(options.cacheDir) : '/tmp/.cache';
  if (options.cacheDir) args.push('--bind', cache, cache);
  args.push('--dir', SANDBOX_HOME);
  // An empty environment, then the allow-list: PR code must never see the worker's secrets.
  args.push('--clearenv');
  const env = options.env ?? process.env;
  for (const name of SANDBOX_INHERITED_ENV) {
    const value = env[name];
    if (value !== undefined) args.push('--setenv', name, value);
  }
  args.push('--setenv', 'HOME', SANDBOX_HOME, '--setenv', 'TMPDIR', '/tmp');
  args.push('--setenv', 'XDG_CACHE_HOME', cache);
  for (const [key, value] of Object.entries(options.setenv ?? {})) args.push('--setenv', key, value);
  if (wantsUid) {
    args.push('--unshare-user');
    if (options.uid !== undefined) args.push('--uid', String(options.uid));
    if (options.gid !== undefined) args.push('--gid', String(options.gid));
  }
  if (options.cwd) args.push('--chdir', path.resolve(options.cwd));
  args.push('--', ...limitArgv(options.limits, options.probe.prlimit), ...argv);
  const writable = dedupe(options.writable.map((d) => path.resolve(d))).join(', ') || 'nothing';
  const view = options.probe.system ? 'system folders read-only' : 'read-only system';
  const limits = describeLimits(options.limits, options.probe.prlimit);
  return { argv: args, sandboxed: true, reason: `bwrap: no network, ${view}, writable: ${writable}${limits}${uidNote}` };
}

/** prlimit's argv for the limits, or nothing when there are none or no prlimit. */
function limitArgv(limits: SandboxLimits | undefined, prlimit: string | undefined): string[] {
  if (!prlimit || !limits) return [];
  const out: string[] = [];
  if (limits.processes) out.push(`--nproc=${limits.processes}:${limits.processes}`);
  if (limits.memoryMB) {
    const bytes = limits.memoryMB * 1024 * 1024;
    out.push(`--as=${bytes}:${bytes}`);
  }
  return out.length ? [prlimit, ...out, '--'] : [];
}

function describeLimits(limits: SandboxLimits | undefined, prlimit: string | undefined): string {
  if (!limits || (!limits.processes && !limits.memoryMB)) return '';
  if (!prlimit) return '; no process or memory limits: prlimit is not on PATH (install util-linux)';
  const parts = [limits.processes ? `${limits.processes} processes` : '', limits.memoryMB ? `${limits.memoryMB} MB of memory` : ''].filter(Boolean);
  return `; limits: ${parts.join(', ')}`;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}


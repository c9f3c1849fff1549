/**
 * What of the host a sandboxed step sees: the system folders a tool needs to
 * start, a short list of /etc files, the tool installation (the PATH folders,
 * a Python virtual environment's prefix) and what the host adds on purpose.
 * Nothing else: not /, not /home or /root, not /run or /var/run (host
 * sockets), not the worker's state (mirrors, coordination clone, other jobs).
 */
import fs from 'node:fs';
import path from 'node:path';

export type SandboxMount =
  /** `source`: where the folder is on the host, when not at `path` (a view built from another root). */
  | { kind: 'ro-bind'; path: string; source?: string }
  | { kind: 'symlink'; target: string; path: string }
  /** Hidden under an empty file (`--ro-bind /dev/null`) or an empty folder (`--tmpfs`): bound above, but not for PR code. */
  | { kind: 'mask'; path: string; folder: boolean };

/** Top-level system folders: bound read-only when folders, recreated when symlinks (a merged /usr). */
export const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'] as const;

/**
 * /etc entries tools need: users and groups (for `~` and ids), the dynamic
 * linker, the time zone, Debian's alternatives (symlink targets of /usr/bin
 * programs), and pkgcore's own configuration (/etc/portage: repos.conf names
 * the master repositories). Not shadow files, ssh host keys, sudoers or
 * anything else. Inside /etc/portage, PORTAGE_SECRETS are masked.
 */
export const SYSTEM_ETC = [
  'passwd',
  'group',
  'nsswitch.conf',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'alternatives',
  'portage',
  'os-release',
  'gentoo-release',
  'locale.alias',
  'env.d',
  'python-exec',
] as const;

/**
 * /etc/portage entries that may hold a host's secrets and that neither
 * `pmaint regen` nor `pkgcheck scan` reads: make.conf (binhost and mirror
 * credentials, FEATURES), binary package signing keys. pkgcore treats a
 * missing or empty make.conf as defaults.
 */
export const PORTAGE_SECRETS = ['make.conf', 'gnupg', 'gpg'] as const;

/** The system part of the view on this host (I/O: lstat of each candidate). */
export function systemMounts(root = '/'): SandboxMount[] {
  const mounts: SandboxMount[] = [];
  const candidates = [...SYSTEM_FOLDERS, ...SYSTEM_ETC.map((entry) => `/etc/${entry}`)];
  for (const candidate of candidates) {
    const onHost = path.join(root, candidate);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(onHost);
    } catch {
      continue;
    }
    // /etc entries are bound as they are (a symlink's target is resolved by the bind); top-level symlinks are recreated.
    if (stat.isSymbolicLink() && !candidate.startsWith('/etc/')) mounts.push({ kind: 'symlink', target: fs.readlinkSync(onHost), path: candidate });
    else mounts.push({ kind: 'ro-bind', path: candidate, ...(onHost !== candidate ? { source: onHost } : {}) });
    if (candidate === '/etc/portage') mounts.push(...portageMasks(onHost, candidate));
  }
  return mounts;
}

function portageMasks(onHost: string, inSandbox: string): SandboxMount[] {
  const masks: SandboxMount[] = [];
  for (const entry of PORTAGE_SECRETS) {
    let stat: fs.Stats;
    try {
      // stat, not lstat: what a step would read is the link's target.
      stat = fs.statSync(path.join(onHost, entry));
    } catch {
      continue;
    }
    masks.push({ kind: 'mask', path: `${inSandbox}/${entry}`, folder: stat.isDirectory() });
  }
  return masks;
}

/** Folders never bound as a tool folder, even when PATH names them: they hold more than tools. */
const NEVER_TOOL_FOLDERS = new Set(['/', '/tmp', '/var/tmp', '/home', '/root', '/etc', '/run', '/var', '/var/run', '/proc', '/dev']);

/**
 * The tool installation: every absolute PATH folder (read-only) and, for a
 * folder that is the `bin` of a Python virtual environment (a `pyvenv.cfg`
 * beside it, how pkgcheck is installed with pip), the environment's prefix.
 * Folders below the system folders are already there. `home` (the worker's
 * HOME) is never bound whole.
 */
export function toolFolders(searchPath: string, home?: string): string[] {
  const folders: string[] = [];
  for (const entry of searchPath.split(path.delimiter)) {
    if (!entry || !path.isAbsolute(entry)) continue;
    const dir = path.resolve(entry);
    if (NEVER_TOOL_FOLDERS.has(dir) || (home && path.resolve(home) === dir)) continue;
    if (SYSTEM_FOLDERS.some((system) => dir === system || dir.startsWith(`${system}/`))) continue;
    const prefix = path.dirname(dir);
    const venv = path.basename(dir) === 'bin' && fs.existsSync(path.join(prefix, 'pyvenv.cfg')) && !NEVER_TOOL_FOLDERS.has(prefix) && prefix !== home;
    folders.push(venv ? prefix : dir);
  }
  return [...new Set(folders)];
}

/** A master repository is bound only when it looks like one: a misconfigured path must not show PR code a folder of secrets. */
export function isRepositoryFolder(dir: string): boolean {
  return path.isAbsolute(dir) && fs.existsSync(path.join(dir, 'profiles', 'repo_name'));
}

/**
 * Read-only folders beyond the system: the tool installation, the master
 * repositories (only folders that are repositories), and REFCI_SANDBOX_PATHS,
 * the host's own list. That list comes from the host, not the configuration
 * branch: which host folders PR code may read is the host's decision.
 */
export function sandboxReadable(masters: string[], env: NodeJS.ProcessEnv): string[] {
  const extra = (env.REFCI_SANDBOX_PATHS ?? '').split(':').filter((dir) => path.isAbsolute(dir));
  return [...new Set([...toolFolders(env.PATH ?? '', env.HOME), ...masters.filter(isRepositoryFolder), ...extra])];
}

/** The master repository folders (checkouts by path) every pipeline of a configuration names; mirrored masters are bound per job. */
export function masterPaths(config: { pipelines: Record<string, { masters?: Record<string, { path?: string }> }> }): string[] {
  return Object.values(config.pipelines).flatMap((pipeline) => Object.values(pipeline.masters ?? {}).flatMap((master) => (master.path === undefined ? [] : [master.path])));
}

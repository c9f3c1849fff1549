import fs from 'node:fs';
import path from 'node:path';
import { git } from './runner.ts';

/** Local refs under `prefix` and their tips. */
export async function forEachRef(gitdir: string, prefix: string): Promise<Map<string, string>> {
  const out = await git(['for-each-ref', '--format=%(objectname) %(refname)', '--', prefix], { cwd: gitdir });
  const refs = new Map<string, string>();
  for (const line of out.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) refs.set(line.slice(space + 1), line.slice(0, space));
  }
  return refs;
}

/** Local refs under `prefix`, their tips and what kind of object each tip is (`commit`, `tree`, `blob`, `tag`). */
export async function forEachRefTyped(gitdir: string, prefix: string): Promise<Map<string, { oid: string; type: string }>> {
  const out = await git(['for-each-ref', '--format=%(objectname) %(objecttype) %(refname)', '--', prefix], { cwd: gitdir });
  const refs = new Map<string, { oid: string; type: string }>();
  for (const line of out.stdout.split('\n')) {
    const [oid, type] = line.split(' ', 2);
    const ref = line.slice(`${oid} ${type} `.length);
    if (oid && type && ref) refs.set(ref, { oid, type });
  }
  return refs;
}

/** The commit `rev` names, or undefined when there is none. */
export async function resolveCommit(gitdir: string, rev: string): Promise<string | undefined> {
  const out = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], { cwd: gitdir, allowFailure: true });
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

/**
 * Sets (oid) or deletes (null) local refs in one transaction; with `oldOid`,
 * only while the ref still holds it (null: while it does not exist), as a
 * fetch moves the refs it read.
 */
export async function updateRefs(gitdir: string, updates: { ref: string; newOid: string | null; oldOid?: string | null }[]): Promise<void> {
  const old = (u: { oldOid?: string | null }) => (u.oldOid === undefined ? '' : ` ${u.oldOid ?? '0'.repeat(40)}`);
  const input = updates.map((u) => (u.newOid === null ? `delete ${u.ref}${old(u)}\n` : `update ${u.ref} ${u.newOid}${old(u)}\n`)).join('');
  await git(['update-ref', '--stdin'], { cwd: gitdir, input });
}

/** Creates `ref` at `oid`; fails if it exists. */
export async function createRef(gitdir: string, ref: string, oid: string): Promise<void> {
  await git(['update-ref', '--', ref, oid, ''], { cwd: gitdir });
}

export async function setSymbolicRef(gitdir: string, name: string, target: string): Promise<void> {
  await git(['symbolic-ref', '--', name, target], { cwd: gitdir });
}

/**
 * How many loose ref files sit below `refs/<under>` of a repository (read
 * from the folder, no process): each is one more file every ref listing and
 * every push's ref advertisement opens.
 */
export function looseRefCount(gitdir: string, under = ''): number {
  let count = 0;
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name));
      else if (!entry.name.endsWith('.lock')) count += 1;
    }
  };
  walk(path.join(gitdir, 'refs', under));
  return count;
}

/**
 * Whether `ref` exists in a repository on this host, read from its files
 * (the loose ref, else packed-refs) without a process: for watchers that
 * ask it of many ref events.
 */
export function refOnDisk(gitdir: string, ref: string): boolean {
  if (fs.existsSync(path.join(gitdir, ref))) return true;
  let packed: string;
  try {
    packed = fs.readFileSync(path.join(gitdir, 'packed-refs'), 'utf8');
  } catch {
    return false;
  }
  return packed.split('\n').some((line) => line.length === 41 + ref.length && line.endsWith(` ${ref}`));
}

/** Moves every loose ref into packed-refs (`git pack-refs --all`): one file to read instead of thousands. */
export async function packRefs(gitdir: string): Promise<void> {
  await git(['pack-refs', '--all', '--prune'], { cwd: gitdir });
}

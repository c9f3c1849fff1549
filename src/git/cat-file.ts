import { readLooseFile } from './loose.ts';
import { git } from './runner.ts';

export type ReadOutcome = { kind: 'ok'; content: Buffer } | { kind: 'missing' } | { kind: 'too-large'; size: number };

/**
 * Where git finds objects, when not only in the repository: inside a
 * pre-receive hook, pushed objects wait in a quarantine folder that git names
 * in GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES and
 * GIT_QUARANTINE_PATH. The runner passes no GIT_* variable of its own
 * environment, so a hook hands them in here.
 */
export interface ObjectAccess {
  env?: Record<string, string>;
}

/** One object named by a spec (`<oid>`, `<rev>:<path>`): its type and size, and its content when within the limit. */
export type ObjectRead = { type: 'missing' } | { type: string; size: number; content?: Buffer };

/**
 * Reads many objects with two processes in all: a type and size check, then
 * the contents of those within `maxBytes`. A hostile huge object is never
 * loaded into memory.
 */
export async function readObjects(gitdir: string, specs: string[], maxBytes: number, access: ObjectAccess = {}): Promise<Map<string, ObjectRead>> {
  const reads = new Map<string, ObjectRead>();
  if (specs.length === 0) return reads;
  const check = await git(['cat-file', '--batch-check=%(objecttype) %(objectsize)'], { cwd: gitdir, input: `${specs.join('\n')}\n`, env: access.env });
  const lines = check.stdout.split('\n');
  const wanted: string[] = [];
  specs.forEach((spec, index) => {
    const [type, size] = (lines[index] ?? '').split(' ');
    if (!type || !/^(commit|tree|blob|tag)$/.test(type)) reads.set(spec, { type: 'missing' });
    else {
      reads.set(spec, { type, size: Number(size) });
      if (Number(size) <= maxBytes) wanted.push(spec);
    }
  });
  if (wanted.length === 0) return reads;
  const { raw } = await git(['cat-file', '--batch'], { cwd: gitdir, input: `${wanted.join('\n')}\n`, env: access.env });
  let offset = 0;
  for (const spec of wanted) {
    const newline = raw.indexOf(0x0a, offset);
    const header = raw.subarray(offset, newline).toString();
    const [, type, size] = header.split(' ');
    offset = newline + 1;
    reads.set(spec, { type: type!, size: Number(size), content: raw.subarray(offset, offset + Number(size)) });
    offset += Number(size) + 1;
  }
  return reads;
}

/**
 * Reads `<rev>:<path>` for many specs (readObjects): files only. A limit of
 * zero asks only whether each exists.
 */
export async function readFiles(gitdir: string, specs: string[], maxBytes: number, access: ObjectAccess = {}): Promise<Map<string, ReadOutcome>> {
  const out = new Map<string, ReadOutcome>();
  // Loose objects are read in process; a hook's quarantine (access.env) and packed objects are git's.
  const rest = access.env ? specs : [];
  if (!access.env) {
    for (const spec of specs) {
      const read = readLooseFile(gitdir, spec, maxBytes);
      if (read.kind === 'unknown') rest.push(spec);
      else out.set(spec, read);
    }
  }
  if (rest.length === 0) return out;
  const reads = await readObjects(gitdir, rest, maxBytes, access);
  for (const spec of rest) {
    const read = reads.get(spec);
    if (!read || read.type !== 'blob' || !('size' in read)) out.set(spec, { kind: 'missing' });
    else out.set(spec, read.content ? { kind: 'ok', content: read.content } : { kind: 'too-large', size: read.size });
  }
  return out;
}

/** Reads one file of a commit, or undefined when it is missing or over the limit. */
export async function readFile(gitdir: string, rev: string, file: string, maxBytes: number): Promise<Buffer | undefined> {
  const spec = `${rev}:${file}`;
  const outcome = (await readFiles(gitdir, [spec], maxBytes)).get(spec);
  return outcome?.kind === 'ok' ? outcome.content : undefined;
}

/** Whether the repository holds `rev` as a commit. */
export async function hasCommit(gitdir: string, rev: string): Promise<boolean> {
  return (await git(['cat-file', '-e', '--end-of-options', `${rev}^{commit}`], { cwd: gitdir, allowFailure: true })).exitCode === 0;
}

/** A commit's parents and committer time (seconds since the epoch), from the commit object's header. */
export function parseCommitHeader(content: Buffer | string): { parents: string[]; committedSec: number } {
  const text = content.toString();
  const end = text.indexOf('\n\n');
  const parents: string[] = [];
  let committedSec = 0;
  for (const line of (end === -1 ? text : text.slice(0, end)).split('\n')) {
    if (line.startsWith('parent ')) parents.push(line.slice('parent '.length).trim());
    const committer = /^committer .* (\d+) [+-]\d{4}$/.exec(line);
    if (committer) committedSec = Number(committer[1]);
  }
  return { parents, committedSec };
}

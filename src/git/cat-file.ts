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

/**
 * Reads `<rev>:<path>` for many specs with two processes in all: a size check,
 * then the contents of those within `maxBytes`. A hostile huge file is never
 * loaded into memory. A limit of zero asks only whether each exists.
 */
export async function readFiles(gitdir: string, specs: string[], maxBytes: number, access: ObjectAccess = {}): Promise<Map<string, ReadOutcome>> {
  const outcomes = new Map<string, ReadOutcome>();
  if (specs.length === 0) return outcomes;
  const check = await git(['cat-file', '--batch-check=%(objecttype) %(objectsize)'], { cwd: gitdir, input: `${specs.join('\n')}\n`, env: access.env });
  const lines = check.stdout.split('\n');
  const wanted: string[] = [];
  specs.forEach((spec, index) => {
    const [type, size] = (lines[index] ?? '').split(' ');
    if (type !== 'blob') outcomes.set(spec, { kind: 'missing' });
    else if (Number(size) > maxBytes) outcomes.set(spec, { kind: 'too-large', size: Number(size) });
    else wanted.push(spec);
  });
  if (wanted.length === 0) return outcomes;
  const { raw } = await git(['cat-file', '--batch'], { cwd: gitdir, input: `${wanted.join('\n')}\n`, env: access.env });
  let offset = 0;
  for (const spec of wanted) {
    const newline = raw.indexOf(0x0a, offset);
    const header = raw.subarray(offset, newline).toString();
    const size = Number(header.split(' ')[2]);
    offset = newline + 1;
    outcomes.set(spec, { kind: 'ok', content: raw.subarray(offset, offset + size) });
    offset += size + 1;
  }
  return outcomes;
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

/** The type of each object (`commit`, `tree`, `blob`, `tag`), or `missing`. */
export async function objectTypes(gitdir: string, oids: string[], access: ObjectAccess = {}): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  if (oids.length === 0) return types;
  const out = await git(['cat-file', '--batch-check=%(objecttype)'], { cwd: gitdir, input: `${oids.join('\n')}\n`, env: access.env });
  const lines = out.stdout.split('\n');
  oids.forEach((oid, index) => {
    const line = lines[index] ?? '';
    types.set(oid, /^(commit|tree|blob|tag)$/.test(line) ? line : 'missing');
  });
  return types;
}

/** A commit's parents and committer time (seconds since the epoch), from its header. */
export async function commitHeader(gitdir: string, oid: string, access: ObjectAccess = {}): Promise<{ parents: string[]; committedSec: number }> {
  const out = await git(['cat-file', 'commit', '--end-of-options', oid], { cwd: gitdir, env: access.env });
  const end = out.stdout.indexOf('\n\n');
  const header = end === -1 ? out.stdout : out.stdout.slice(0, end);
  const parents: string[] = [];
  let committedSec = 0;
  for (const line of header.split('\n')) {
    if (line.startsWith('parent ')) parents.push(line.slice('parent '.length).trim());
    const committer = /^committer .* (\d+) [+-]\d{4}$/.exec(line);
    if (committer) committedSec = Number(committer[1]);
  }
  return { parents, committedSec };
}

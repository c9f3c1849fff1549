import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { commitLinks, treeEntries } from './object-format.ts';

/**
 * Reads small files of commits straight from a repository's loose objects,
 * in process: records are read after nearly every fetch, and two `cat-file`
 * processes for a few kilobytes cost more than the reading. Loose objects
 * are what a small fetch and every record written here leave; anything else
 * (a packed object, a hash git would not accept) is left to `cat-file`.
 * Nothing over the caller's limit is ever inflated whole: the header says the
 * size first.
 */

export type LooseRead = { kind: 'ok'; content: Buffer } | { kind: 'missing' } | { kind: 'too-large'; size: number } | { kind: 'unknown' };

/** Where git keeps `oid` as a loose object. */
function looseObjectPath(gitdir: string, oid: string): string {
  return path.join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
}

/** Whether `oid` is a loose object of the repository (read from its folder, no process). */
export function hasLooseObject(gitdir: string, oid: string): boolean {
  return fs.existsSync(looseObjectPath(gitdir, oid));
}

/** A loose object's type and size, and its content when within `maxBytes`; undefined when it is not a loose object here. */
function readLoose(gitdir: string, oid: string, maxBytes: number): { type: string; size: number; content?: Buffer } | undefined {
  if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
  let data: Buffer;
  try {
    data = fs.readFileSync(looseObjectPath(gitdir, oid));
  } catch {
    return undefined;
  }
  let head: Buffer;
  try {
    // The first bytes are enough for the header (`<type> <size>\0`); a partial inflate gives them.
    head = zlib.inflateSync(data.subarray(0, 64), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return undefined;
  }
  const nul = head.indexOf(0);
  const match = nul > 0 ? /^(blob|tree|commit|tag) (\d+)$/.exec(head.subarray(0, nul).toString('latin1')) : null;
  if (!match) return undefined;
  const type = match[1]!;
  const size = Number(match[2]);
  if (size > maxBytes) return { type, size };
  let whole: Buffer;
  try {
    whole = zlib.inflateSync(data, { maxOutputLength: nul + 1 + size + 1 });
  } catch {
    return undefined;
  }
  const content = whole.subarray(nul + 1);
  if (content.length !== size) return undefined;
  return { type, size, content };
}

/**
 * `<commit>:<path>` read from loose objects: the file's content, `missing`
 * when the commit's tree has no such file, `too-large` past `maxBytes`, or
 * `unknown` when some object on the way is not loose here (ask git).
 */
export function readLooseFile(gitdir: string, spec: string, maxBytes: number): LooseRead {
  const colon = spec.indexOf(':');
  if (colon !== 40) return { kind: 'unknown' };
  const commit = readLoose(gitdir, spec.slice(0, 40), 1 << 20);
  if (!commit?.content || commit.type !== 'commit') return { kind: 'unknown' };
  let oid = commitLinks(commit.content)?.tree;
  if (!oid) return { kind: 'unknown' };
  const parts = spec.slice(41).split('/');
  for (const [index, part] of parts.entries()) {
    const tree = readLoose(gitdir, oid, 16 << 20);
    if (!tree?.content || tree.type !== 'tree') return { kind: 'unknown' };
    const entries = treeEntries(tree.content);
    if (!entries) return { kind: 'unknown' };
    const entry = entries.find((candidate) => candidate.name === part);
    if (!entry) return { kind: 'missing' };
    const last = index === parts.length - 1;
    // What git reads as a blob at the end (a file or a symlink's target); a folder on the way is a tree.
    if (last ? !/^(100[0-7]{3}|120000)$/.test(entry.mode) : entry.mode !== '40000') return { kind: 'missing' };
    oid = entry.oid;
  }
  const blob = readLoose(gitdir, oid, maxBytes);
  if (!blob || blob.type !== 'blob') return blob ? { kind: 'missing' } : { kind: 'unknown' };
  return blob.content ? { kind: 'ok', content: blob.content } : { kind: 'too-large', size: blob.size };
}

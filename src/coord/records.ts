import { writeRecordCommit, type CommitSigner, type FileTree, type Signature } from '../git/objects.ts';
import { readFiles } from '../git/cat-file.ts';
import { MAX_RECORD_BYTES, type Decoded } from '../protocol/codec.ts';
import { decodeAs, encodeAs, messageOf, type RecordKind } from '../protocol/record-kind.ts';

/**
 * Writes a record as one commit in the clone (not pushed): the record file of
 * its kind (plus artifacts, for results) in the tree, the kind's subject and
 * trailers as the message, the parents that chain it (job <- claim <-
 * heartbeat ... <- result). Archiving one commit that reaches the result keeps
 * all of it. With `sign`, the commit carries the writer's SSH signature
 * (workers sign their lock and result commits, docs/protocol.md 2.9).
 */
export function writeRecord<T>(
  gitdir: string,
  kind: RecordKind<T>,
  record: T,
  options: { parents: string[]; author: Signature; artifacts?: FileTree; sign?: CommitSigner },
): Promise<string> {
  return writeRecordCommit(gitdir, {
    files: { ...options.artifacts, [kind.file]: encodeAs(kind, record) },
    parents: options.parents,
    message: messageOf(kind, record),
    author: options.author,
    sign: options.sign,
  });
}

/** Reads the records of this kind held by the commits `oids` (missing, oversized or invalid ones as reasons). */
export async function readRecords<T>(gitdir: string, kind: RecordKind<T>, oids: string[]): Promise<Map<string, Decoded<T>>> {
  const specs = oids.map((oid) => `${oid}:${kind.file}`);
  const files = await readFiles(gitdir, specs, MAX_RECORD_BYTES);
  const records = new Map<string, Decoded<T>>();
  oids.forEach((oid, index) => {
    const outcome = files.get(specs[index]);
    if (!outcome || outcome.kind === 'missing') records.set(oid, { ok: false, reason: `the commit has no ${kind.file}` });
    else if (outcome.kind === 'too-large') records.set(oid, { ok: false, reason: `${kind.file} is ${outcome.size} bytes, more than the limit of ${MAX_RECORD_BYTES}` });
    else records.set(oid, decodeAs(kind, outcome.content));
  });
  return records;
}

/** The record of this kind in one commit, or undefined when it cannot be read. */
export async function readRecord<T>(gitdir: string, kind: RecordKind<T>, oid: string): Promise<T | undefined> {
  const decoded = (await readRecords(gitdir, kind, [oid])).get(oid);
  return decoded?.ok ? decoded.value : undefined;
}

import { decodeCancel, CANCEL_FILE } from '../protocol/cancel.ts';
import { MAX_RECORD_BYTES, type Decoded } from '../protocol/codec.ts';
import { decodeJob, JOB_FILE } from '../protocol/job.ts';
import { decodeLock, LOCK_FILE } from '../protocol/lock.ts';
import { NAMESPACE, parseLiveRef, type LiveKind } from '../protocol/refs.ts';
import { decodeResult, RESULT_FILE } from '../protocol/result.ts';
import type { LiveJob, Snapshot } from '../protocol/snapshot.ts';
import type { CoordClone } from './clone.ts';
import { readFiles } from './objects.ts';

const RECORD_FILES: Record<LiveKind, { file: string; decode: (text: Buffer) => Decoded<unknown> }> = {
  jobs: { file: JOB_FILE, decode: decodeJob },
  locks: { file: LOCK_FILE, decode: decodeLock },
  results: { file: RESULT_FILE, decode: decodeResult },
  cancel: { file: CANCEL_FILE, decode: decodeCancel },
};

const FIELD: Record<LiveKind, keyof Omit<LiveJob, 'id'>> = { jobs: 'job', locks: 'lock', results: 'result', cancel: 'cancel' };

/** Decoded records by commit id: commits never change, so a long-running host reads each once. */
const recordCache = new Map<string, Decoded<unknown>>();

/** Reads the live refs of the local mirror into a Snapshot; unreadable records become reasons, never exceptions. */
export async function readSnapshot(clone: CoordClone): Promise<Snapshot> {
  const refs = await clone.refs(`${NAMESPACE}/`);
  const snapshot: Snapshot = new Map();
  const toRead: { oid: string; kind: LiveKind }[] = [];
  for (const [ref, oid] of refs) {
    const parsed = parseLiveRef(ref);
    if (!parsed) continue;
    const live = snapshot.get(parsed.id) ?? { id: parsed.id };
    snapshot.set(parsed.id, live);
    (live as unknown as Record<string, unknown>)[FIELD[parsed.kind]] = { oid, record: undefined };
    if (!recordCache.has(`${parsed.kind}:${oid}`)) toRead.push({ oid, kind: parsed.kind });
  }
  const specs = toRead.map(({ oid, kind }) => `${oid}:${RECORD_FILES[kind].file}`);
  const contents = await readFiles(clone.gitdir, specs, MAX_RECORD_BYTES);
  toRead.forEach(({ oid, kind }, index) => {
    const { file, decode } = RECORD_FILES[kind];
    const outcome = contents.get(specs[index]);
    let record: Decoded<unknown>;
    if (!outcome || outcome.kind === 'missing') record = { ok: false, reason: `the commit has no ${file}` };
    else if (outcome.kind === 'too-large') record = { ok: false, reason: `${file} is ${outcome.size} bytes, more than the limit of ${MAX_RECORD_BYTES}` };
    else record = decode(outcome.content);
    recordCache.set(`${kind}:${oid}`, record);
  });
  for (const [ref, oid] of refs) {
    const parsed = parseLiveRef(ref);
    if (!parsed) continue;
    const entry = (snapshot.get(parsed.id) as unknown as Record<string, { oid: string; record: unknown }>)[FIELD[parsed.kind]];
    entry.record = matchingId(recordCache.get(`${parsed.kind}:${oid}`)!, parsed.id, ref);
  }
  return snapshot;
}

/** A record names its job; one that names another job than its ref does is unreadable for that ref. */
function matchingId(record: Decoded<unknown>, id: string, ref: string): Decoded<unknown> {
  if (!record.ok) return record;
  const value = record.value as { id?: string; job?: string };
  const named = value.id ?? value.job;
  if (named === id) return record;
  return { ok: false, reason: `the record names job ${JSON.stringify(named)}, which does not match its ref ${ref}` };
}

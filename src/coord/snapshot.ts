import { readFiles } from '../git/cat-file.ts';
import { CANCEL } from '../protocol/cancel.ts';
import { MAX_RECORD_BYTES, type Decoded } from '../protocol/codec.ts';
import { JOB } from '../protocol/job.ts';
import { LOCK } from '../protocol/lock.ts';
import { decodeAs, type RecordKind } from '../protocol/record-kind.ts';
import { ignoredLiveRef, NAMESPACE, parseLiveRef, type IgnoredRef, type LiveKind } from '../protocol/refs.ts';
import { RESULT } from '../protocol/result.ts';
import type { LiveJob, Snapshot } from '../protocol/snapshot.ts';
import type { CoordClone } from './clone.ts';

const KINDS: Record<LiveKind, { kind: RecordKind<unknown>; field: keyof Omit<LiveJob, 'id'> }> = {
  jobs: { kind: JOB as RecordKind<unknown>, field: 'job' },
  locks: { kind: LOCK as RecordKind<unknown>, field: 'lock' },
  results: { kind: RESULT as RecordKind<unknown>, field: 'result' },
  cancel: { kind: CANCEL as RecordKind<unknown>, field: 'cancel' },
};

/** The live field of a job that holds refs of `kind`. */
export function liveField(kind: LiveKind): keyof Omit<LiveJob, 'id'> {
  return KINDS[kind].field;
}

/**
 * Decoded records by commit id, per clone: commits never change, so a
 * long-running host reads each once. Only records still live are kept, so the
 * cache is as large as the live refs, not as the history of a long-running daemon.
 */
const recordCaches = new WeakMap<CoordClone, Map<string, Decoded<unknown>>>();

/** Reads the live refs of the local mirror into a Snapshot; unreadable records become reasons, never exceptions. */
export async function readSnapshot(clone: CoordClone): Promise<Snapshot> {
  return (await readLiveRefs(clone)).snapshot;
}

/**
 * The Snapshot, and the refs under refs/ci/ that are left out of it: an id that breaks the job id
 * pattern, or a tip that is not a commit. Every host leaves them alone; `refci status` lists them.
 */
export async function readLiveRefs(clone: CoordClone): Promise<{ snapshot: Snapshot; ignored: IgnoredRef[] }> {
  const refs = await clone.typedRefs(`${NAMESPACE}/`);
  const live: { ref: string; oid: string; id: string; kind: LiveKind }[] = [];
  const ignored: IgnoredRef[] = [];
  for (const [ref, { oid, type }] of refs) {
    const reason = ignoredLiveRef(ref, type);
    if (reason !== undefined) {
      ignored.push({ ref, reason });
      continue;
    }
    const parsed = parseLiveRef(ref);
    if (parsed) live.push({ ref, oid, ...parsed });
  }
  // The cache as it is now: another read of this clone may replace it while this one waits for git.
  const previous = recordCaches.get(clone) ?? new Map<string, Decoded<unknown>>();
  const toRead = live.filter(({ oid, kind }) => !previous.has(`${kind}:${oid}`));
  const specs = toRead.map(({ oid, kind }) => `${oid}:${KINDS[kind].kind.file}`);
  const contents = await readFiles(clone.gitdir, specs, MAX_RECORD_BYTES);
  const cache = new Map<string, Decoded<unknown>>();
  for (const { oid, kind } of live) {
    const key = `${kind}:${oid}`;
    const known = previous.get(key);
    if (known) cache.set(key, known);
  }
  toRead.forEach(({ oid, kind }, index) => {
    const { file } = KINDS[kind].kind;
    const outcome = contents.get(specs[index]);
    let record: Decoded<unknown>;
    if (!outcome || outcome.kind === 'missing') record = { ok: false, reason: `the commit has no ${file}` };
    else if (outcome.kind === 'too-large') record = { ok: false, reason: `${file} is ${outcome.size} bytes, more than the limit of ${MAX_RECORD_BYTES}` };
    else record = decodeAs(KINDS[kind].kind, outcome.content);
    cache.set(`${kind}:${oid}`, record);
  });
  recordCaches.set(clone, cache);
  const snapshot: Snapshot = new Map();
  for (const { ref, oid, id, kind } of live) {
    const entry = snapshot.get(id) ?? { id };
    snapshot.set(id, entry);
    const record = matchingId(cache.get(`${kind}:${oid}`)!, id, ref);
    (entry as unknown as Record<string, unknown>)[KINDS[kind].field] = { oid, record };
  }
  return { snapshot, ignored };
}

/** The number of decoded records kept between reads (for tests of the bound). */
export function cachedRecordCount(clone: CoordClone): number {
  return recordCaches.get(clone)?.size ?? 0;
}

/** A record names its job; one that names another job than its ref does is unreadable for that ref. */
function matchingId(record: Decoded<unknown>, id: string, ref: string): Decoded<unknown> {
  if (!record.ok) return record;
  const value = record.value as { id?: string; job?: string };
  const named = value.id ?? value.job;
  if (named === id) return record;
  return { ok: false, reason: `the record names job ${JSON.stringify(named)}, which does not match its ref ${ref}` };
}

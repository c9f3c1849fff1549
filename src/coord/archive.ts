import { commitTree, replaceSubtree, writeCommit, writeFileTree, type FileTree } from '../git/objects.ts';
import { refusedRefs, type PushResult, type RefUpdate } from '../git/push.ts';
import type { Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { historyPath, SUMMARY, type Summary } from '../protocol/history.ts';
import { encodeAs, messageOf } from '../protocol/record-kind.ts';
import { HISTORY_REF, liveRefsOf, parseLiveRef, type LiveKind } from '../protocol/refs.ts';
import type { LiveJob } from '../protocol/snapshot.ts';
import type { CoordClone } from './clone.ts';
import { liveField } from './snapshot.ts';

/** One job of an archive batch: its live refs as the collector saw them, and what its history commit holds. */
export interface ArchiveEntry {
  live: LiveJob;
  message: string;
  /** The history tree with this job's entry added (or, for leftovers, unchanged). */
  treeOf: (baseTree: string) => Promise<string>;
}

/** A finished job's entry: its summary and reports under jobs/<shard>/<id>/ in the history tree. */
export function jobEntry(clone: CoordClone, live: LiveJob, summary: Summary, reports: FileTree): ArchiveEntry {
  return {
    live,
    message: messageOf(SUMMARY, summary),
    treeOf: async (baseTree) => {
      const entry = await writeFileTree(clone.gitdir, { ...reports, [SUMMARY.file]: encodeAs(SUMMARY, summary) });
      return replaceSubtree(clone.gitdir, baseTree, historyPath(live.id), entry);
    },
  };
}

/**
 * Live refs of a job the history already holds (pushed after its archive by a
 * host with an older view, or by hand). The summary stays as it was; the
 * history gains a commit with the same tree whose other parents keep the
 * leftover records reachable. Its message carries no archive trailer, so
 * history readers skip it.
 */
export function leftoversEntry(live: LiveJob): ArchiveEntry {
  return { live, message: `leftovers ${live.id}: live refs pushed after the job was archived\n`, treeOf: async (baseTree) => baseTree };
}

/**
 * Moves a finished job from the live refs to the history branch in one atomic
 * push: a commit appended to refs/ci/history whose other parents reach the
 * job's whole chain (job, locks, result, cancel), with the summary and reports
 * in its tree, plus the deletion of every live ref of the job under its lease.
 * Live refs stay proportional to open jobs; nothing is ever unreachable.
 */
export async function archiveJob(clone: CoordClone, live: LiveJob, summary: Summary, reports: FileTree, actor: string, clock: Clock): Promise<PushResult> {
  return (await archiveBatch(clone, [jobEntry(clone, live, summary, reports)], actor, clock)).last;
}

/** Clears live refs of a job the history already holds (leftoversEntry) in one push. */
export async function archiveLeftovers(clone: CoordClone, live: LiveJob, actor: string, clock: Clock): Promise<PushResult> {
  return (await archiveBatch(clone, [leftoversEntry(live)], actor, clock)).last;
}

/** Jobs in one archive push: the push names four refs per job, and git lists every ref on its command line. */
export const ARCHIVE_BATCH = 64;

export interface BatchOutcome {
  /** Ids archived (their history commits landed and their live refs are gone). */
  archived: string[];
  /** Ids left live because one of their refs changed since the collector read it: another host moved it. */
  changed: string[];
  /** The last push: won, or why the rest was not archived. */
  last: PushResult;
}

/**
 * Archives several jobs in one atomic push: one history commit per job,
 * chained on the first parent, and the deletion of every live ref of each
 * job under its lease. When the push is refused because some jobs' refs
 * moved since the collector read them (a cancel, a claim or a result pushed
 * meanwhile), those jobs are left out and the others are pushed again at
 * once, with the chain written anew; a refused history ref (another
 * collector) or a failed push (the repository unreachable) leaves the whole
 * rest live for the next round. Nothing is archived twice and nothing
 * archived loses a ref it did not see.
 */
export async function archiveBatch(clone: CoordClone, entries: ArchiveEntry[], actor: string, clock: Clock): Promise<BatchOutcome> {
  const changed: string[] = [];
  let pending = entries;
  for (;;) {
    const pushed = await pushBatch(clone, pending, actor, clock);
    if (pushed.won) return { archived: pending.map((entry) => entry.live.id), changed, last: pushed };
    if (pushed.outcome === 'failed') return { archived: [], changed, last: pushed };
    const moved = new Set(refusedRefs(pushed).map((ref) => parseLiveRef(ref)?.id).filter((id): id is string => id !== undefined));
    const movedIds = pending.filter((entry) => moved.has(entry.live.id)).map((entry) => entry.live.id);
    changed.push(...movedIds);
    // The history itself moved (another collector), or git did not say which job: nothing more this round.
    if (movedIds.length === 0) return { archived: [], changed, last: pushed };
    pending = pending.filter((entry) => !moved.has(entry.live.id));
    if (pending.length === 0) return { archived: [], changed, last: pushed };
  }
}

/**
 * One atomic push: the history commits of `entries` chained on the tip (tree
 * made by each entry from the tree before it; the job's live tips as the other
 * parents) and the deletion of every live ref of each job. Every live kind is
 * leased, also those the collector did not see: an absent one is deleted under
 * "must not exist" (git reports deleting a missing ref as done, and refuses it
 * as stale once the ref exists). A cancel, claim or result pushed since the
 * collector fetched thus makes the push lose, instead of surviving it and
 * getting the job archived a second time. Only git's client checks that lease,
 * against the refs advertised: the repository deletes a ref created between
 * its advertisement and the update (docs/protocol.md, section 7, says why no
 * verdict changes).
 */
async function pushBatch(clone: CoordClone, entries: ArchiveEntry[], actor: string, clock: Clock): Promise<PushResult> {
  const existing = await clone.ref(HISTORY_REF);
  let tip = existing ?? (await historyRoot(clone, actor, clock));
  let tree = await commitTree(clone.gitdir, tip);
  const updates: RefUpdate[] = [];
  for (const { live, message, treeOf } of entries) {
    tree = await treeOf(tree);
    // Every live tip becomes a parent, even where one already reaches another: refs pushed by hand need not chain.
    const tips = [live.result?.oid, live.cancel?.oid, live.lock?.oid, live.job?.oid].filter((oid): oid is string => Boolean(oid));
    tip = await writeCommit(clone.gitdir, { tree, parents: [tip, ...new Set(tips)], message, author: signatureFor('collector', actor, clock.now()) });
    const refs = liveRefsOf(live.id);
    for (const kind of Object.keys(refs) as LiveKind[]) {
      updates.push({ ref: refs[kind], newOid: null, expect: live[liveField(kind)]?.oid ?? null });
    }
  }
  return clone.push([{ ref: HISTORY_REF, newOid: tip, expect: existing ?? null }, ...updates]);
}

/**
 * The first archive starts the history with an empty root commit, so that the
 * first-parent chain of refs/ci/history holds archive (and leftovers) commits only.
 */
async function historyRoot(clone: CoordClone, actor: string, clock: Clock): Promise<string> {
  const tree = await writeFileTree(clone.gitdir, {});
  return writeCommit(clone.gitdir, { tree, parents: [], message: 'history: start', author: signatureFor('collector', actor, clock.now()) });
}

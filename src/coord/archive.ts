import { commitTree, replaceSubtree, writeCommit, writeFileTree, type FileTree } from '../git/objects.ts';
import type { PushResult, RefUpdate } from '../git/push.ts';
import type { Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { historyPath, SUMMARY, type Summary } from '../protocol/history.ts';
import { encodeAs, messageOf } from '../protocol/record-kind.ts';
import { HISTORY_REF, liveRefsOf, type LiveKind } from '../protocol/refs.ts';
import type { LiveJob } from '../protocol/snapshot.ts';
import type { CoordClone } from './clone.ts';
import { liveField } from './snapshot.ts';

/**
 * Moves a finished job from the live refs to the history branch in one atomic
 * push: a commit appended to refs/ci/history whose other parents reach the
 * job's whole chain (job, locks, result, cancel), with the summary and reports
 * in its tree, plus the deletion of every live ref of the job under its lease.
 * Live refs stay proportional to open jobs; nothing is ever unreachable.
 */
export async function archiveJob(
  clone: CoordClone,
  live: LiveJob,
  summary: Summary,
  reports: FileTree,
  actor: string,
  clock: Clock,
): Promise<PushResult> {
  return appendToHistory(clone, live, actor, clock, messageOf(SUMMARY, summary), async (baseTree) => {
    const entry = await writeFileTree(clone.gitdir, { ...reports, [SUMMARY.file]: encodeAs(SUMMARY, summary) });
    return replaceSubtree(clone.gitdir, baseTree, historyPath(live.id), entry);
  });
}

/**
 * Clears live refs of a job the history already holds (pushed after its
 * archive by a host with an older view, or by hand). The summary stays as it
 * was; the history gains a commit with the same tree whose other parents keep
 * the leftover records reachable. Its message carries no archive trailer, so
 * history readers skip it.
 */
export async function archiveLeftovers(clone: CoordClone, live: LiveJob, actor: string, clock: Clock): Promise<PushResult> {
  const message = `leftovers ${live.id}: live refs pushed after the job was archived\n`;
  return appendToHistory(clone, live, actor, clock, message, async (baseTree) => baseTree);
}

/**
 * One atomic push: a commit on refs/ci/history (tree made by `treeOf` from the
 * tip's tree; the job's live tips as its other parents) and the deletion of
 * every live ref of the job. Every live kind is leased, also those the
 * collector did not see: an absent one is deleted under "must not exist" (git
 * reports deleting a missing ref as done, and refuses it as stale once the ref
 * exists). A cancel, claim or result pushed since the collector fetched thus
 * makes the push lose, instead of surviving it and getting the job archived a
 * second time.
 */
async function appendToHistory(
  clone: CoordClone,
  live: LiveJob,
  actor: string,
  clock: Clock,
  message: string,
  treeOf: (baseTree: string) => Promise<string>,
): Promise<PushResult> {
  const existing = await clone.ref(HISTORY_REF);
  const historyTip = existing ?? (await historyRoot(clone, actor, clock));
  const tree = await treeOf(await commitTree(clone.gitdir, historyTip));
  // Every live tip becomes a parent, even where one already reaches another: refs pushed by hand need not chain.
  const tips = [live.result?.oid, live.cancel?.oid, live.lock?.oid, live.job?.oid].filter((oid): oid is string => Boolean(oid));
  const commit = await writeCommit(clone.gitdir, {
    tree,
    parents: [historyTip, ...new Set(tips)],
    message,
    author: signatureFor('collector', actor, clock.now()),
  });
  const updates: RefUpdate[] = [{ ref: HISTORY_REF, newOid: commit, expect: existing ? historyTip : null }];
  const refs = liveRefsOf(live.id);
  for (const kind of Object.keys(refs) as LiveKind[]) {
    updates.push({ ref: refs[kind], newOid: null, expect: live[liveField(kind)]?.oid ?? null });
  }
  return clone.push(updates);
}

/**
 * The first archive starts the history with an empty root commit, so that the
 * first-parent chain of refs/ci/history holds archive (and leftovers) commits only.
 */
async function historyRoot(clone: CoordClone, actor: string, clock: Clock): Promise<string> {
  const tree = await writeFileTree(clone.gitdir, {});
  return writeCommit(clone.gitdir, { tree, parents: [], message: 'history: start', author: signatureFor('collector', actor, clock.now()) });
}

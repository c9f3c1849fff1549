import { commitTree, replaceSubtree, writeCommit, writeFileTree } from '../git/objects.ts';
import type { RefUpdate } from '../git/push.ts';
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
  reports: Record<string, string>,
  actor: string,
  clock: Clock,
): Promise<boolean> {
  const existing = await clone.ref(HISTORY_REF);
  const historyTip = existing ?? (await historyRoot(clone, actor, clock));
  const entry = await writeFileTree(clone.gitdir, { ...reports, [SUMMARY.file]: encodeAs(SUMMARY, summary) });
  const tree = await replaceSubtree(clone.gitdir, await commitTree(clone.gitdir, historyTip), historyPath(live.id), entry);
  // Every live tip becomes a parent, even where one already reaches another: refs pushed by hand need not chain.
  const tips = [live.result?.oid, live.cancel?.oid, live.lock?.oid, live.job?.oid].filter((oid): oid is string => Boolean(oid));
  const commit = await writeCommit(clone.gitdir, {
    tree,
    parents: [historyTip, ...new Set(tips)],
    message: messageOf(SUMMARY, summary),
    author: signatureFor('collector', actor, clock.now()),
  });
  const updates: RefUpdate[] = [{ ref: HISTORY_REF, newOid: commit, expect: existing ? historyTip : null }];
  const refs = liveRefsOf(live.id);
  for (const kind of Object.keys(refs) as LiveKind[]) {
    const entryOf = live[liveField(kind)];
    if (entryOf) updates.push({ ref: refs[kind], newOid: null, expect: entryOf.oid });
  }
  return (await clone.push(updates)).won;
}

/**
 * The first archive starts the history with an empty root commit, so that the
 * first-parent chain of refs/ci/history holds archive commits only.
 */
async function historyRoot(clone: CoordClone, actor: string, clock: Clock): Promise<string> {
  const tree = await writeFileTree(clone.gitdir, {});
  return writeCommit(clone.gitdir, { tree, parents: [], message: 'history: start', author: signatureFor('collector', actor, clock.now()) });
}

import type { CoordClone } from '../git/clone.ts';
import { commitTree, replaceSubtree, writeCommit, writeFileTree } from '../git/objects.ts';
import type { RefUpdate } from '../git/push.ts';
import type { Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { encodeSummary, historyPath, SUMMARY_FILE, type Summary } from '../protocol/history.ts';
import { archiveMessage } from '../protocol/messages.ts';
import { HISTORY_REF, liveRefsOf, type LiveKind } from '../protocol/refs.ts';
import type { LiveJob } from '../protocol/snapshot.ts';

const FIELD: Record<LiveKind, keyof Omit<LiveJob, 'id'>> = { jobs: 'job', locks: 'lock', results: 'result', cancel: 'cancel' };

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
  const historyTip = (await clone.ref(HISTORY_REF)) ?? (await historyRoot(clone, actor, clock));
  const entry = await writeFileTree(clone.gitdir, { ...reports, [SUMMARY_FILE]: encodeSummary(summary) });
  const tree = await replaceSubtree(clone.gitdir, await commitTree(clone.gitdir, historyTip), historyPath(live.id), entry);
  // Every live tip becomes a parent, even where one already reaches another: refs pushed by hand need not chain.
  const tips = [live.result?.oid, live.cancel?.oid, live.lock?.oid, live.job?.oid].filter((oid): oid is string => Boolean(oid));
  const parents = [historyTip, ...new Set(tips)];
  const commit = await writeCommit(clone.gitdir, {
    tree,
    parents,
    message: archiveMessage(live.id, summary.verdict, summary.reason),
    author: signatureFor('collector', actor, clock.now()),
  });
  const exists = (await clone.ref(HISTORY_REF)) !== undefined;
  const updates: RefUpdate[] = [{ ref: HISTORY_REF, newOid: commit, expect: exists ? historyTip : null }];
  const refs = liveRefsOf(live.id);
  for (const kind of Object.keys(refs) as LiveKind[]) {
    const entryOf = live[FIELD[kind]];
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

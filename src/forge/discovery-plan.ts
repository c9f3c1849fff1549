/**
 * Discovery planning: what to do about one repository's pull requests, as plain data.
 * Pure: no I/O, no clock. The main host gathers the inputs (forge lists, the coordination
 * repository's jobs), calls `planDiscovery`, then carries out the plan.
 *
 * A poll on the main host:
 *   const pulls = await forge.listOpenPulls(cache);
 *   const comments = await forge.listCommentsSince(cursor.since);
 *   const checks = recheckPermissionChecks({ pulls, comments, cursor, botLogin });
 *   for (const c of checks) permissions[c.user.toLowerCase()] = await forge.canTrigger(c.user, c.prAuthor);
 *   const plan = planDiscovery({ pulls, jobs, comments, cursor, botLogin, permissions, statusContext });
 *   // enqueue plan.enqueue in order, cancel plan.cancel, set plan.skip[].status and record the
 *   // skips as jobs in state 'skipped', persist plan.cursor for the next poll.
 */
import { cutDescription, sameLogin } from './text.ts';
import type { CommitStatus, IssueComment, PullRequest } from './types.ts';

/**
 * A job's state as the plan needs it. The coordination repository's states map onto it:
 * queued, running, cancelling, cancelled, finished (live or archived); `skipped` is the record
 * of a `noci` skip (so the success status is not posted at every poll).
 */
export type PlanJobState = 'queued' | 'running' | 'cancelling' | 'cancelled' | 'finished' | 'skipped';

export type Priority = 'high' | 'normal';

/**
 * A job refci already has for this repository. Pass the live jobs and, for each open pull
 * request, at least the newest archived job too: a head with a finished job is not tested again
 * (except on /recheck); a head whose only jobs were cancelled is.
 */
export interface KnownJob {
  jobId: string;
  pr: number;
  headSha: string;
  state: PlanJobState;
  /** When known, the plan re-prioritises a queued job whose priority label changed. */
  priority?: Priority;
}

/**
 * Where the comment scan stopped: the newest `updatedAt` seen and the ids of the comments
 * updated at exactly that time (the forges' `since` is inclusive, so they come again).
 * For the first poll use `initialCursor(now)` so old /recheck comments do not fire.
 */
export interface CommentCursor {
  since: string;
  seenIds: number[];
}

export function initialCursor(nowIso: string): CommentCursor {
  return { since: nowIso, seenIds: [] };
}

export interface DiscoveryInput {
  /** Open pull requests (Forge.listOpenPulls); closed ones given here are ignored. */
  pulls: PullRequest[];
  /**
   * Pull requests known to be closed or merged (Forge.getPull said so). When given, only their
   * live jobs are cancelled as `pr-closed`: a pull request merely missing from `pulls` may be open
   * (the list is read page by page and shifts when one closes meanwhile), so it is left alone.
   * Without it, every pull request missing from `pulls` counts as closed.
   */
  closed?: number[];
  jobs: KnownJob[];
  /** Comments from Forge.listCommentsSince(cursor.since). */
  comments: IssueComment[];
  cursor: CommentCursor;
  /** refci's own login (Forge.whoami): its comments never trigger anything. */
  botLogin: string;
  /**
   * Lower-case login -> may trigger, from Forge.canTrigger for each entry of
   * recheckPermissionChecks(). A /recheck by someone missing here is ignored.
   */
  permissions: Record<string, boolean>;
  /** The status context refci posts, e.g. `refci`. */
  statusContext: string;
  labels?: { skip?: string; priority?: string };
}

export interface EnqueueAction {
  pull: PullRequest;
  priority: Priority;
  reason: 'new-pr' | 'new-head' | 'recheck';
  /** Live jobs of the same pull request this one replaces (also listed in `cancel`). */
  supersedes: string[];
  /** The /recheck comment that asked for this job, if one did. */
  trigger?: { commentId: number; user: string };
}

export interface CancelAction {
  jobId: string;
  pr: number;
  headSha: string;
  reason: 'pr-closed' | 'superseded' | 'noci';
}

/** Post `status` on the head and record the skip (a job in state 'skipped'). */
export interface SkipAction {
  pr: number;
  headSha: string;
  status: CommitStatus;
}

export interface ReprioritiseAction {
  jobId: string;
  pr: number;
  priority: Priority;
}

export interface IgnoredComment {
  commentId: number;
  pr: number;
  user: string;
  reason: string;
}

export interface DiscoveryPlan {
  /** In the order to enqueue: priority-ci first, then the longest-waiting (oldest updatedAt). */
  enqueue: EnqueueAction[];
  cancel: CancelAction[];
  skip: SkipAction[];
  reprioritise: ReprioritiseAction[];
  /** /recheck comments that did nothing, and why (for the log). */
  ignored: IgnoredComment[];
  /** Persist and pass back at the next poll. */
  cursor: CommentCursor;
}

export const DEFAULT_LABELS = { skip: 'noci', priority: 'priority-ci' } as const;

const LIVE = new Set<PlanJobState>(['queued', 'running']);
/** A head with a job in one of these states is already taken care of. */
const COVERED = new Set<PlanJobState>(['queued', 'running', 'finished']);

/** True when one line of the comment is `/recheck` (optionally followed by words); quotes do not count. */
export function isRecheck(body: string): boolean {
  return body.split(/\r?\n/).some((line) => /^\/recheck(\s.*)?$/i.test(line.trim()));
}

function isNew(comment: IssueComment, cursor: CommentCursor): boolean {
  const time = Date.parse(comment.updatedAt);
  const since = Date.parse(cursor.since);
  if (Number.isNaN(since)) return true;
  return time > since || (time === since && !cursor.seenIds.includes(comment.id));
}

/** Who must be asked about (Forge.canTrigger) before planning: new /recheck commenters who are not the author. */
export function recheckPermissionChecks(input: Pick<DiscoveryInput, 'pulls' | 'comments' | 'cursor' | 'botLogin'>): Array<{ user: string; prAuthor: string }> {
  const open = new Map(input.pulls.filter((pull) => pull.state === 'open').map((pull) => [pull.number, pull]));
  const checks = new Map<string, { user: string; prAuthor: string }>();
  for (const comment of input.comments) {
    if (!isNew(comment, input.cursor) || !isRecheck(comment.body) || sameLogin(comment.author, input.botLogin)) continue;
    const pull = comment.isPull ? open.get(comment.prNumber) : undefined;
    if (!pull || sameLogin(comment.author, pull.author)) continue;
    const key = comment.author.toLowerCase();
    if (!checks.has(key)) checks.set(key, { user: comment.author, prAuthor: pull.author });
  }
  return [...checks.values()];
}

export function planDiscovery(input: DiscoveryInput): DiscoveryPlan {
  const skipLabel = (input.labels?.skip ?? DEFAULT_LABELS.skip).toLowerCase();
  const priorityLabel = (input.labels?.priority ?? DEFAULT_LABELS.priority).toLowerCase();
  const open = new Map(input.pulls.filter((pull) => pull.state === 'open').map((pull) => [pull.number, pull]));
  const jobsByPr = new Map<number, KnownJob[]>();
  for (const job of input.jobs) jobsByPr.set(job.pr, [...(jobsByPr.get(job.pr) ?? []), job]);

  const plan: DiscoveryPlan = { enqueue: [], cancel: [], skip: [], reprioritise: [], ignored: [], cursor: nextCursor(input.cursor, input.comments) };

  // Jobs of pull requests that are no longer open.
  const closed = input.closed ? new Set(input.closed) : undefined;
  for (const job of input.jobs) {
    if (LIVE.has(job.state) && !open.has(job.pr) && (!closed || closed.has(job.pr))) plan.cancel.push({ jobId: job.jobId, pr: job.pr, headSha: job.headSha, reason: 'pr-closed' });
  }

  // /recheck comments: one per pull request counts.
  const rechecks = new Map<number, { commentId: number; user: string }>();
  const sorted = [...input.comments].sort((a, b) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || a.id - b.id);
  for (const comment of sorted) {
    if (!isNew(comment, input.cursor) || !isRecheck(comment.body) || sameLogin(comment.author, input.botLogin)) continue;
    const ignore = (reason: string) => plan.ignored.push({ commentId: comment.id, pr: comment.prNumber, user: comment.author, reason });
    const pull = comment.isPull ? open.get(comment.prNumber) : undefined;
    if (!pull) {
      ignore('not an open pull request');
      continue;
    }
    const permission = input.permissions[comment.author.toLowerCase()];
    if (!sameLogin(comment.author, pull.author) && permission !== true) {
      ignore(permission === undefined ? 'permission not checked' : 'neither the author nor someone with write access');
      continue;
    }
    if (rechecks.has(pull.number)) {
      ignore('another /recheck for this pull request came first');
      continue;
    }
    rechecks.set(pull.number, { commentId: comment.id, user: comment.author });
  }

  for (const pull of open.values()) {
    const jobs = jobsByPr.get(pull.number) ?? [];
    const labels = new Set(pull.labels.map((label) => label.toLowerCase()));
    const priority: Priority = labels.has(priorityLabel) ? 'high' : 'normal';
    const live = jobs.filter((job) => LIVE.has(job.state));
    const recheck = rechecks.get(pull.number);

    if (labels.has(skipLabel)) {
      for (const job of live) plan.cancel.push({ jobId: job.jobId, pr: pull.number, headSha: job.headSha, reason: 'noci' });
      if (!jobs.some((job) => job.headSha === pull.headSha && job.state === 'skipped')) {
        plan.skip.push({
          pr: pull.number,
          headSha: pull.headSha,
          status: { state: 'success', context: input.statusContext, description: cutDescription(`skipped: the pull request has the ${input.labels?.skip ?? DEFAULT_LABELS.skip} label`) },
        });
      }
      if (recheck) plan.ignored.push({ commentId: recheck.commentId, pr: pull.number, user: recheck.user, reason: `the pull request has the ${skipLabel} label` });
      continue;
    }

    const stale = live.filter((job) => job.headSha !== pull.headSha);
    for (const job of stale) plan.cancel.push({ jobId: job.jobId, pr: pull.number, headSha: job.headSha, reason: 'superseded' });
    const supersedes = stale.map((job) => job.jobId);
    const current = jobs.filter((job) => job.headSha === pull.headSha && COVERED.has(job.state));

    if (current.length === 0) {
      const reason = jobs.some((job) => job.headSha !== pull.headSha) ? 'new-head' : 'new-pr';
      plan.enqueue.push({ pull, priority, reason, supersedes, ...(recheck ? { trigger: recheck } : {}) });
      continue;
    }
    const liveCurrent = current.filter((job) => LIVE.has(job.state));
    if (recheck) {
      if (liveCurrent.length > 0) {
        plan.ignored.push({ commentId: recheck.commentId, pr: pull.number, user: recheck.user, reason: 'a job for this head is already queued or running' });
      } else {
        plan.enqueue.push({ pull, priority, reason: 'recheck', supersedes, trigger: recheck });
      }
      continue;
    }
    for (const job of liveCurrent) {
      if (job.state === 'queued' && job.priority !== undefined && job.priority !== priority) plan.reprioritise.push({ jobId: job.jobId, pr: pull.number, priority });
    }
  }

  plan.enqueue.sort(
    (a, b) =>
      (a.priority === b.priority ? 0 : a.priority === 'high' ? -1 : 1) ||
      Date.parse(a.pull.updatedAt) - Date.parse(b.pull.updatedAt) ||
      a.pull.number - b.pull.number,
  );
  return plan;
}

/** The newest update seen, with the ids updated at exactly that time. */
function nextCursor(cursor: CommentCursor, comments: IssueComment[]): CommentCursor {
  let since = cursor.since;
  let time = Date.parse(since);
  let seen = new Set(cursor.seenIds);
  for (const comment of comments) {
    const t = Date.parse(comment.updatedAt);
    if (Number.isNaN(t)) continue;
    if (Number.isNaN(time) || t > time) {
      since = comment.updatedAt;
      time = t;
      seen = new Set([comment.id]);
    } else if (t === time) {
      seen.add(comment.id);
    }
  }
  return { since, seenIds: [...seen].sort((a, b) => a - b) };
}

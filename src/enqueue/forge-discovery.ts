/**
 * One discovery poll of the main host for one forge repository (`refci enqueue --github` /
 * `--codeberg`, run by cron): open pull requests and new comments from the forge, the jobs the
 * coordination repository knows, `planDiscovery`, then one atomic push of the new jobs and the
 * cancellations, the `noci` statuses and the "queued, position N" statuses.
 *
 * Between polls the host keeps, in its state dir, the pull-list ETag cache (an unchanged list
 * costs no rate limit), the comment cursor, the `noci` skips already posted, the queued
 * statuses already posted and the writes of the last hour (the write budget). No token is ever
 * written there.
 */
import type { CoordClone } from '../coord/clone.ts';
import { readSnapshot } from '../coord/snapshot.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import { planDiscovery, recheckPermissionChecks, initialCursor, type CommentCursor, type DiscoveryPlan, type KnownJob, type PlanJobState, type Priority } from '../forge/discovery-plan.ts';
import { DEFAULT_STATUS_CONTEXT, emptyPullListCache, type Forge, type PullListCache, type PullRequest } from '../forge/types.ts';
import { jobForge, newJob, type JobDescriptor } from '../protocol/job.ts';
import { jobRepoUrls } from './job-repo.ts';
import { liveRefspecs } from '../protocol/refs.ts';
import { descriptorOf, resultOf, stateOf, type LiveJob, type Snapshot } from '../protocol/snapshot.ts';
import { enqueueJobs } from './enqueue.ts';
import { sameRepository } from '../protocol/repo-url.ts';
import { archivedRuns, firstFreeRetry } from './known-jobs.ts';
import type { CancelRequest } from './plan.ts';
import { forgeStateName, loadStateFile, saveStateFile } from '../coord/state-file.ts';
import { claimOrder } from '../protocol/sweep.ts';
import { isRefciError } from '../errors.ts';
import { planPositionUpdates, postedPosition, type QueuedEntry } from '../forge/queue-position.ts';
import { emptyWriteLog, recordWrite, roomFor, writeBudgetLimits, type WriteBudgetLimits, type WriteLog } from '../forge/write-budget.ts';

export const DEFAULT_QUEUED_STATUSES = 20;
export const PRIORITY_CI = 100;

export interface ForgeDiscoveryOptions {
  forge: Forge;
  clone: CoordClone;
  clock: Clock;
  /** This host's id, for commit authors and cancel records. */
  by: string;
  stateDir: string;
  /** Pipeline of the jobs (default gentoo). */
  pipeline?: string;
  /** Commit status context (default gentoo-ci). */
  statusContext?: string;
  /** "queued, position N" statuses are kept for the first N queued jobs only (default 20; 0: none). */
  queuedStatuses?: number;
  /** Writes an hour on this forge, in all and for progress statuses (src/forge/write-budget.ts). */
  writeBudget?: Partial<WriteBudgetLimits>;
  /** Job priority of a normal pull request (default 0) and of one labelled priority-ci (default 100). */
  priority?: { normal?: number; high?: number };
  labels?: { skip?: string; priority?: string };
  maxAttempts?: number;
  timeoutSec?: number;
  /** What changed: jobs enqueued or cancelled, statuses posted, comments ignored. */
  log?: (line: string) => void;
  /** What did not change (nothing to do, jobs left alone); not printed under cron by default. */
  verbose?: (line: string) => void;
  /** Where the warning about credentials left out of a clone URL goes (stderr in the CLI); `log` by default. */
  warn?: (line: string) => void;
}

/** What the poll did, for the terminal and --json. */
export interface DiscoveryOutcome {
  openPulls: number;
  enqueued: Array<{ id: string; pr: number; head: string; reason: string; priority: number }>;
  cancelled: Array<{ id: string; reason: string }>;
  /** noci skips whose success status was posted in this poll. */
  skipped: Array<{ pr: number; head: string }>;
  ignored: DiscoveryPlan['ignored'];
  /** Pending statuses posted ("queued, position N"). */
  queuedStatuses: number;
  /** Position updates that mattered but were left for a later poll (the hour's progress budget was spent). */
  positionsDeferred: number;
}

interface DiscoveryState {
  version: 1;
  pullCache: PullListCache;
  cursor?: CommentCursor;
  /** `noci` skips posted, by pull request: the head they were posted for. */
  skipped: Record<string, string>;
  /** Last "queued, position N" description posted, by job id. */
  queued: Record<string, string>;
  /** The writes of the last hour, for the write budget. */
  writes: WriteLog;
}

const fresh = (): DiscoveryState => ({ version: 1, pullCache: emptyPullListCache(), skipped: {}, queued: {}, writes: emptyWriteLog() });

const REASONS: Record<string, string> = {
  'new-pr': 'new pull request',
  'new-head': 'new head',
  recheck: '/recheck',
  reprioritise: 'priority label changed',
};

export async function discoverFromForge(options: ForgeDiscoveryOptions): Promise<DiscoveryOutcome> {
  const { forge, clone, clock } = options;
  const log = options.log ?? (() => {});
  const verbose = options.verbose ?? (() => {});
  const pipeline = options.pipeline ?? 'gentoo';
  const statusContext = options.statusContext ?? DEFAULT_STATUS_CONTEXT;
  const priorities = { normal: options.priority?.normal ?? 0, high: options.priority?.high ?? PRIORITY_CI };
  const stateName = forgeStateName('discovery', forge.kind, forge.repo);
  const state = loadStateFile(options.stateDir, stateName, fresh);
  const budget = writeBudgetLimits(options.writeBudget);
  if (!state.writes || typeof state.writes !== 'object') state.writes = emptyWriteLog();
  const nowIso = isoOf(clock.now());
  // Saved after every step that must not repeat, so a poll that dies half way (a rate limit, a
  // lost connection) repeats nothing: not a /recheck already enqueued, not a status already posted.
  const save = () => saveStateFile(options.stateDir, stateName, state);

  // The forge: open pull requests (conditional requests) and comments since the cursor.
  const pulls = [...(await forge.listOpenPulls(state.pullCache))];
  save(); // the ETags just received
  const firstPoll = state.cursor === undefined;
  const cursor = state.cursor ?? initialCursor(nowIso);
  const comments = firstPoll ? [] : await forge.listCommentsSince(cursor.since);
  const botLogin = comments.length > 0 ? await forge.whoami() : '';

  // The coordination repository: live jobs of this repository, and what the history says about each open head.
  await clone.fetch(liveRefspecs({ history: true }));
  const snapshot = await readSnapshot(clone);
  // Jobs of this repository: its clone URL as the API names it in pull requests, or as derived from the API URL.
  const urls = [forge.cloneUrl, ...new Set(pulls.map((pull) => pull.cloneUrl))];
  const ours = (job: JobDescriptor | undefined): job is JobDescriptor & { pr: number } =>
    job !== undefined && job.pr !== undefined && job.pipeline === pipeline && urls.some((url) => sameRepository(job.repo, url));
  const jobs: KnownJob[] = [];
  const finishedOfHead = new Map<string, string>();
  for (const live of snapshot.values()) {
    const job = descriptorOf(live);
    const planState = liveState(live);
    if (!ours(job) || !planState) continue;
    if (planState === 'finished') finishedOfHead.set(`${job.pr} ${job.head}`, job.id);
    jobs.push({ jobId: job.id, pr: job.pr, headSha: job.head, state: planState, priority: job.priority >= priorities.high ? 'high' : 'normal' });
  }
  const { closed, rescued } = await confirmAbsences(forge, pulls, jobs, !state.pullCache.changedDuringWalk, verbose);
  pulls.push(...rescued);
  const identity = (pull: PullRequest) => ({ repo: pull.cloneUrl, pr: pull.number, head: pull.headSha, pipeline });
  const runs = await archivedRuns(clone, pulls.map(identity));
  const archivedFinished = new Map<string, string>();
  pulls.forEach((pull, index) => {
    for (const run of runs.get(index) ?? []) {
      if (snapshot.has(run.id)) continue;
      const archivedState: PlanJobState = run.summary.verdict === 'cancelled' ? 'cancelled' : 'finished';
      jobs.push({ jobId: run.id, pr: pull.number, headSha: pull.headSha, state: archivedState });
      if (archivedState === 'finished') archivedFinished.set(`${pull.number} ${pull.headSha}`, run.id);
    }
  });
  for (const pull of pulls) {
    if (state.skipped[pull.number] === pull.headSha) jobs.push({ jobId: `noci-${pull.number}`, pr: pull.number, headSha: pull.headSha, state: 'skipped' });
  }

  // Who may /recheck, then the plan.
  const permissions: Record<string, boolean> = {};
  for (const check of recheckPermissionChecks({ pulls, comments, cursor, botLogin })) {
    permissions[check.user.toLowerCase()] = await forge.canTrigger(check.user, check.prAuthor);
  }
  const plan = planDiscovery({ pulls, closed: [...closed.keys()], jobs, comments, cursor, botLogin, permissions, statusContext, labels: options.labels });

  // Jobs to create: enqueue actions, and queued jobs whose priority label changed (a new job supersedes the old one).
  const requested: Array<{ pull: PullRequest; priority: Priority; reason: string; retryOf?: string }> = plan.enqueue.map((action) => ({
    pull: action.pull,
    priority: action.priority,
    reason: action.reason,
    retryOf: action.reason === 'recheck' ? (finishedOfHead.get(headKey(action.pull)) ?? archivedFinished.get(headKey(action.pull))) : undefined,
  }));
  const byNumber = new Map(pulls.map((pull) => [pull.number, pull]));
  for (const action of plan.reprioritise) {
    const pull = byNumber.get(action.pr);
    if (pull) requested.push({ pull, priority: action.priority, reason: 'reprioritise' });
  }
  // A pull request whose repository URL the forge gives in a form no worker may fetch is left out, with the reason: the others go on.
  const jobRepo = jobRepoUrls(options.warn ?? log);
  const repos = new Map<PullRequest, string>();
  const wanted = requested.filter((w) => {
    try {
      repos.set(w.pull, jobRepo(w.pull.cloneUrl));
      return true;
    } catch (error) {
      log(`PR #${w.pull.number}: not enqueued: ${(error as Error).message}`);
      return false;
    }
  });
  const retries = await firstFreeRetry(clone, snapshot, wanted.map((w) => identity(w.pull)));
  const start = clock.now();
  const descriptors = wanted.map((w, index) =>
    newJob({
      repo: repos.get(w.pull)!,
      base: w.pull.baseSha,
      head: w.pull.headSha,
      baseRef: `refs/heads/${w.pull.baseRef}`,
      headRef: w.pull.pullRef,
      pr: w.pull.number,
      prUrl: w.pull.url,
      forge: jobForge(forge.kind, forge.repo),
      pipeline,
      priority: w.priority === 'high' ? priorities.high : priorities.normal,
      // One millisecond apart: the claim order (priority, then createdAt) keeps the plan's order.
      createdAt: isoOf(start + index),
      maxAttempts: options.maxAttempts,
      timeoutSec: options.timeoutSec,
      retry: retries[index] || undefined,
      retryOf: w.retryOf,
    }),
  );
  const reasons: Record<string, string> = { 'pr-closed': 'the pull request was closed', superseded: 'a newer head was pushed', noci: `the pull request has the ${options.labels?.skip ?? 'noci'} label` };
  const cancels: CancelRequest[] = plan.cancel.map((c) => ({ id: c.jobId, reason: (c.reason === 'pr-closed' ? closed.get(c.pr) : undefined) ?? reasons[c.reason] ?? c.reason }));

  const outcome: DiscoveryOutcome = { openPulls: pulls.length, enqueued: [], cancelled: [], skipped: [], ignored: plan.ignored, queuedStatuses: 0, positionsDeferred: 0 };
  let after: Snapshot = snapshot;
  if (descriptors.length > 0 || cancels.length > 0) {
    const pushed = await enqueueJobs({ clone, clock, by: options.by }, descriptors, { cancel: cancels });
    for (const job of pushed.create) {
      const index = descriptors.findIndex((d) => d.id === job.id);
      const reason = REASONS[wanted[index]!.reason] ?? wanted[index]!.reason;
      outcome.enqueued.push({ id: job.id, pr: job.pr!, head: job.head, reason, priority: job.priority });
      log(`PR #${job.pr}: enqueued ${job.id} (${reason}, head ${job.head.slice(0, 12)}, priority ${job.priority})`);
    }
    for (const skip of pushed.skipped) verbose(`nothing to do: ${skip.why}`);
    for (const cancel of pushed.cancel) {
      outcome.cancelled.push({ id: cancel.job, reason: cancel.reason });
      log(`cancelled ${cancel.job}: ${cancel.reason}`);
    }
    after = await readSnapshot(clone);
  }
  // The comments of this plan are acted on: a /recheck must not enqueue again if the rest fails.
  state.cursor = plan.cursor;
  save();
  for (const ignored of plan.ignored) log(`PR #${ignored.pr}: /recheck by ${ignored.user} ignored: ${ignored.reason}`);

  // noci: a success status once per head.
  for (const skip of plan.skip) {
    if (roomFor('verdict', state.writes, budget, clock.now()) === 0) {
      log(`PR #${skip.pr}: skip status left for a later poll: ${budget.writesPerHour} writes an hour at most`);
      continue;
    }
    await forge.setStatus(skip.headSha, skip.status);
    recordWrite(state.writes, 'verdict', clock.now());
    state.skipped[skip.pr] = skip.headSha;
    save();
    outcome.skipped.push({ pr: skip.pr, head: skip.headSha });
    log(`PR #${skip.pr}: skipped (${skip.status.description})`);
  }
  const open = new Set(pulls.map((pull) => String(pull.number)));
  for (const pr of Object.keys(state.skipped)) if (!open.has(pr)) delete state.skipped[pr];

  // "queued, position N" for this repository's jobs among the first N of the whole queue: only
  // when the position crosses a step that matters, once per pull request, within the hour's budget.
  const limit = options.queuedStatuses ?? DEFAULT_QUEUED_STATUSES;
  const queue = queuedInClaimOrder(after);
  const stillQueued = new Set(queue.map((job) => job.id));
  for (const id of Object.keys(state.queued)) if (!stillQueued.has(id)) delete state.queued[id];
  const entries: QueuedEntry[] = [];
  for (const [index, job] of queue.slice(0, limit).entries()) if (ours(job)) entries.push({ jobId: job.id, pr: job.pr, head: job.head, position: index + 1 });
  const posted = Object.fromEntries(Object.entries(state.queued).map(([id, description]) => [id, postedPosition(description)]));
  const positions = planPositionUpdates(entries, posted, roomFor('progress', state.writes, budget, clock.now()));
  for (const entry of positions.post) {
    const description = `queued, position ${entry.position}`;
    await forge.setStatus(entry.head, { state: 'pending', context: statusContext, description });
    recordWrite(state.writes, 'progress', clock.now());
    state.queued[entry.jobId] = description;
    save();
    outcome.queuedStatuses += 1;
  }
  outcome.positionsDeferred = positions.deferred.length;
  if (positions.deferred.length > 0) {
    verbose(`${positions.deferred.length} queue position(s) left for a later poll: ${budget.progressPerHour} progress statuses an hour at most`);
  }

  save();
  return outcome;
}

/**
 * Pull requests with live jobs that the open list did not name: each is read alone (getPull),
 * because absence is not closure (a pull request closed between two page reads shifts the later
 * pages, and an open one is never seen). Closed or merged ones come back with the cancel reason;
 * open ones come back to be planned like the listed ones. A walk that saw the list change is no
 * ground for cancelling: nothing is read and nothing cancelled; the next poll looks again.
 */
async function confirmAbsences(
  forge: Forge,
  pulls: PullRequest[],
  jobs: KnownJob[],
  trusted: boolean,
  log: (line: string) => void,
): Promise<{ closed: Map<number, string>; rescued: PullRequest[] }> {
  const listed = new Set(pulls.map((pull) => pull.number));
  const absent = [...new Set(jobs.filter((job) => (job.state === 'queued' || job.state === 'running') && !listed.has(job.pr)).map((job) => job.pr))].sort((a, b) => a - b);
  const closed = new Map<number, string>();
  const rescued: PullRequest[] = [];
  if (absent.length === 0) return { closed, rescued };
  if (!trusted) {
    log(`the open pull requests changed while they were read; jobs of ${absent.map((pr) => `#${pr}`).join(', ')} are left until the next poll`);
    return { closed, rescued };
  }
  for (const pr of absent) {
    try {
      const pull = await forge.getPull(pr);
      if (pull.state === 'open') rescued.push(pull);
      else closed.set(pr, pull.merged ? 'the pull request was merged' : 'the pull request was closed');
    } catch (error) {
      if (isRefciError(error) && error.code === 'not-found') closed.set(pr, 'the pull request no longer exists');
      else throw error;
    }
  }
  return { closed, rescued };
}

const headKey = (pull: PullRequest) => `${pull.number} ${pull.headSha}`;

/** The plan's view of a live job; undefined for refs it should not count (malformed, orphan). */
function liveState(live: LiveJob): PlanJobState | undefined {
  const state = stateOf(live);
  switch (state) {
    case 'queued':
    case 'running':
    case 'cancelling':
    case 'cancelled':
      return state;
    case 'finished':
      return resultOf(live)?.status === 'cancelled' ? 'cancelled' : 'finished';
    default:
      return undefined;
  }
}

/** Queued jobs in the order workers claim them: priority, then age, then id. */
export function queuedInClaimOrder(snapshot: Snapshot): JobDescriptor[] {
  const queued: JobDescriptor[] = [];
  for (const live of snapshot.values()) {
    const job = descriptorOf(live);
    if (job && stateOf(live) === 'queued') queued.push(job);
  }
  return queued.sort(claimOrder);
}


/**
 * Publishing on a forge (`refci collect --github owner/repo` / `--codeberg owner/repo`): the commit
 * status on the pull request's head and one report comment per pull request, edited in place.
 *
 * - Before publishing a job (`precheck`), the pull request is read again: when its head is no
 *   longer the job's head, nothing is published and the verdict's reason says superseded.
 * - A finished job gets success, failure or error with the reason and a link to the report; a
 *   job that died after its attempts is finished with an error result, so no status stays pending.
 * - A cancelled job whose head is still the pull request's head gets error ("cancelled: …"), unless
 *   the pull request is closed or labelled noci (discovery posted the skip status).
 * - Idempotent: a collector that dies between publishing and archiving publishes again; the
 *   comment is found by its marker and left unchanged, and a repeated status changes nothing.
 * - `observe` posts "running on <worker>" once per claim or takeover, remembered in a small JSON
 *   file in the collector's state dir.
 * - The comment carries a hidden line with the verdict it shows. When a new report turns success
 *   into failure or back, a short new comment follows the edit: an edit notifies nobody.
 * - Writes stay within the hour's budget (src/forge/write-budget.ts): verdicts first, "running"
 *   statuses only within the progress share.
 * - A pull request that refuses publishing for good (a 404, 422 or a 403 that is no rate limit) is
 *   tried again in the next rounds, `maxRefusals` times in all; then refci stops publishing that
 *   job and the collector archives it with the forge's answer in its reason.
 */
import { isRefciError, RefciError } from '../errors.ts';
import { forgeStateName, loadStateFile, saveStateFile } from '../coord/state-file.ts';
import { isoOf, systemClock, type Clock } from '../host/clock.ts';
import { sameRepository } from '../protocol/repo-url.ts';
import { DEFAULT_STATUS_CONTEXT, FORGE_NAMES } from '../forge/types.ts';
import { markedVerdict, reportMarker, verdictMarker } from '../forge/text.ts';
import { permanentRefusal } from '../forge/retry.ts';
import { emptyWriteLog, nextRoomAt, recordWrite, roomFor, writeBudgetLimits, type WriteBudgetLimits, type WriteKind, type WriteLog } from '../forge/write-budget.ts';
import type { CommitStatus, Forge, PullRequest } from '../forge/types.ts';
import { clip, escapeMarkdown } from '../qa/escape.ts';
import { commitText, markdownLink } from '../qa/report-facts.ts';
import type { Summary } from '../protocol/history.ts';
import { jobForge, type JobDescriptor } from '../protocol/job.ts';
import { descriptorOf, lockOf, stateOf, type Snapshot } from '../protocol/snapshot.ts';
import type { Publisher } from './publisher.ts';
import { fillReportUrl } from './report-url.ts';
import { bareReport, type Decision } from './verdict.ts';

export interface ForgePublisherOptions {
  forge: Forge;
  /** Where the "running" statuses already posted are remembered. */
  stateDir: string;
  /** Commit status context (default gentoo-ci); also names the report comment's marker. */
  context?: string;
  /**
   * Link to a job's report: a URL with `{job}`, `{shard}` (the history folder,
   * jobs/{shard}/{job}/), `{pr}` and `{head}` filled in.
   */
  reportUrl?: string;
  /** The skip label (default noci). */
  skipLabel?: string;
  /** A live page is written where each job's report will be (collect --site on the --out folder): "running" statuses link to it. */
  liveLinks?: boolean;
  log?: (line: string) => void;
  /** Writes an hour on this forge, in all and for "running" statuses (write-budget.ts). */
  writeBudget?: Partial<WriteBudgetLimits>;
  /** Rounds a pull request may refuse publishing for good before refci gives up on the job's publishing (default 3). */
  maxRefusals?: number;
  /** For the write budget (default: the system clock). */
  clock?: Clock;
}

export const DEFAULT_MAX_REFUSALS = 3;

/** GitHub refuses comments over 65,536 characters. */
const COMMENT_MAX = 65_000;

type PrJob = JobDescriptor & { pr: number };

interface PublishDecision {
  publish: boolean;
  note?: string;
}

interface PublisherState {
  version: 1;
  /** `<worker> <attempt>` of the last "running" status posted, by job id. */
  running: Record<string, string>;
  /** The writes of the last hour, for the write budget. */
  writes: WriteLog;
  /** Refusals for good so far, by job id: rounds tried and the forge's last answer. */
  refusals: Record<string, { tries: number; reason: string }>;
}

const freshState = (): PublisherState => ({ version: 1, running: {}, writes: emptyWriteLog(), refusals: {} });

export class ForgePublisher implements Publisher {
  readonly #forge: Forge;
  readonly #options: ForgePublisherOptions;
  readonly #context: string;
  readonly #decisions = new Map<string, PublishDecision>();
  readonly #stateName: string;
  readonly #budget: WriteBudgetLimits;
  readonly #clock: Clock;
  readonly #forgeName: string;

  constructor(options: ForgePublisherOptions) {
    this.#forge = options.forge;
    this.#options = options;
    this.#context = options.context ?? DEFAULT_STATUS_CONTEXT;
    this.#stateName = forgeStateName('publisher', options.forge.kind, options.forge.repo);
    this.#budget = writeBudgetLimits(options.writeBudget);
    this.#clock = options.clock ?? systemClock;
    this.#forgeName = FORGE_NAMES[options.forge.kind];
  }

  /** `github:owner/name`, as jobs name the forge they came from. */
  get forgeId(): string {
    return jobForge(this.#forge.kind, this.#forge.repo);
  }

  /**
   * Jobs of pull requests of this forge repository; others are left to other publishers. A job
   * that names its forge is this publisher's when the name is the same; an older job without one
   * when its repository URL names the same host and path.
   */
  handles(job: JobDescriptor | undefined): job is PrJob {
    if (job === undefined || job.pr === undefined) return false;
    if (job.forge !== undefined) return job.forge === this.forgeId;
    return sameRepository(job.repo, this.#forge.cloneUrl);
  }

  reportLink(job: JobDescriptor): string | undefined {
    return this.handles(job) ? this.reportUrl(job) : undefined;
  }

  /** The report link of a job, when a template was given. */
  reportUrl(job: JobDescriptor): string | undefined {
    const template = this.#options.reportUrl;
    return template ? fillReportUrl(template, job) : undefined;
  }

  async precheck(job: JobDescriptor | undefined, verdict: Decision): Promise<string | undefined> {
    if (!this.handles(job)) return undefined;
    let decision: PublishDecision;
    try {
      decision = await this.#decide(job, verdict);
    } catch (error) {
      decision = { publish: false, note: this.#refused(job, error) };
    }
    this.#decisions.set(job.id, decision);
    return decision.note;
  }

  /** Publishes; returns a note for the job's reason when refci gave up publishing it (see maxRefusals). */
  async publish(job: JobDescriptor | undefined, _summary: Summary, verdict: Decision): Promise<string | undefined> {
    if (!this.handles(job)) return undefined;
    if (!this.#decisions.has(job.id)) await this.precheck(job, verdict);
    const decision = this.#decisions.get(job.id)!;
    this.#decisions.delete(job.id);
    if (!decision.publish) {
      this.#log(`${job.id}: nothing published on ${this.#forge.repo}${decision.note ? `: ${decision.note}` : ''}`);
      return undefined;
    }
    // The status and the comment go together or wait together for the next round.
    this.#needRoom(job, 'verdict', verdict.status === 'cancelled' ? 1 : 2);
    try {
      await this.#publish(job, verdict);
    } catch (error) {
      return this.#refused(job, error);
    }
    this.#update((state) => delete state.refusals[job.id]);
    return undefined;
  }

  async #publish(job: PrJob, verdict: Decision): Promise<void> {
    const targetUrl = this.reportUrl(job);
    const status: CommitStatus =
      verdict.status === 'cancelled'
        ? { state: 'error', context: this.#context, description: `cancelled: ${verdict.reason}` }
        : { state: verdict.status, context: this.#context, description: verdict.reason };
    if (targetUrl) status.targetUrl = targetUrl;
    await this.#forge.setStatus(job.head, status);
    this.#spent('verdict');
    if (verdict.status === 'cancelled') {
      this.#log(`${job.id}: cancelled status published on PR #${job.pr}`);
      return;
    }
    const comment = await this.#forge.upsertComment(job.pr, reportMarker(this.#context), this.commentBody(job, verdict));
    if (comment.action !== 'unchanged') this.#spent('verdict');
    this.#log(`${job.id}: ${verdict.status} published on PR #${job.pr} (comment ${comment.action})`);
    // An edit notifies nobody: a verdict that turned around gets a short new comment as well.
    const before = markedVerdict(comment.previousBody);
    const flipped = (before === 'success' && verdict.status === 'failure') || (before === 'failure' && verdict.status === 'success');
    if (!flipped) return;
    if (this.#room('verdict') === 0) {
      this.#log(`${job.id}: no notice of the changed result on PR #${job.pr}: ${this.#budget.writesPerHour} writes an hour at most`);
      return;
    }
    await this.#forge.postComment(job.pr, this.noticeBody(job, verdict, comment.url));
    this.#spent('verdict');
    this.#log(`${job.id}: PR #${job.pr} went from ${before} to ${verdict.status}; notice posted`);
  }

  /**
   * A forge failure while publishing a job. A refusal for good counts one try (one round); under
   * `maxRefusals` it is thrown again (the job stays live for the next round), at the last it ends
   * the job's publishing with the note its archived reason gets. Anything else is thrown as it is.
   */
  #refused(job: PrJob, error: unknown): string {
    const status = permanentRefusal(error);
    if (status === undefined) throw error;
    const max = Math.max(1, this.#options.maxRefusals ?? DEFAULT_MAX_REFUSALS);
    const reason = isRefciError(error) ? error.message : String(error);
    let tries = 0;
    this.#update((state) => {
      tries = (state.refusals[job.id]?.tries ?? 0) + 1;
      if (tries < max) state.refusals[job.id] = { tries, reason };
      else delete state.refusals[job.id];
    });
    if (tries < max) {
      this.#log(`${job.id}: PR #${job.pr} refused (${tries} of ${max} tries): ${reason}`);
      throw error;
    }
    const note = `not published on ${this.#forgeName} PR #${job.pr} after ${max} ${max === 1 ? 'try' : 'tries'}: ${reason}`;
    this.#log(`${job.id}: ${note}`);
    return note;
  }

  /** Throws, leaving the job for a later round, when the hour's budget has no room for `count` writes. */
  #needRoom(job: PrJob, kind: WriteKind, count: number): void {
    if (this.#room(kind) >= count) return;
    const state = this.#load();
    const retryAt = isoOf(nextRoomAt(kind, state.writes, this.#budget, this.#clock.now()) ?? this.#clock.now());
    throw new RefciError(
      'forge',
      `${job.id}: not published on ${this.#forgeName} yet: the writes of the last hour reached the budget of ${this.#budget.writesPerHour}; room again at ${retryAt}`,
      `the job is published by a later round; raise --writes-per-hour (GitHub allows 500 an hour) if this happens often`,
      { retryAt },
    );
  }

  #room(kind: WriteKind): number {
    return roomFor(kind, this.#load().writes, this.#budget, this.#clock.now());
  }

  #spent(kind: WriteKind): void {
    this.#update((state) => recordWrite(state.writes, kind, this.#clock.now()));
  }

  #load(): PublisherState {
    const state = loadStateFile<PublisherState>(this.#options.stateDir, this.#stateName, freshState);
    // A damaged file costs what it held, never the round.
    if (!state.running || typeof state.running !== 'object') state.running = {};
    if (!state.writes || typeof state.writes !== 'object') state.writes = emptyWriteLog();
    if (!state.refusals || typeof state.refusals !== 'object') state.refusals = {};
    return state;
  }

  #update(change: (state: PublisherState) => unknown): void {
    const state = this.#load();
    change(state);
    saveStateFile(this.#options.stateDir, this.#stateName, state);
  }

  /** "running on <worker>" for running jobs of this repository not announced yet (per claim or takeover), within the progress budget. */
  async observe(snapshot: Snapshot): Promise<void> {
    const state = this.#load();
    let changed = false;
    for (const id of Object.keys(state.running)) {
      const live = snapshot.get(id);
      if (!live || stateOf(live) !== 'running') {
        delete state.running[id];
        changed = true;
      }
    }
    for (const id of Object.keys(state.refusals)) {
      if (!snapshot.has(id)) {
        delete state.refusals[id];
        changed = true;
      }
    }
    try {
      for (const live of snapshot.values()) {
        if (stateOf(live) !== 'running') continue;
        const job = descriptorOf(live);
        const lock = lockOf(live);
        if (!this.handles(job) || !lock) continue;
        const key = `${lock.worker} ${lock.attempt}`;
        if (state.running[job.id] === key) continue;
        if (roomFor('progress', state.writes, this.#budget, this.#clock.now()) === 0) break; // a later round, when there is room
        const attempt = lock.attempt > 1 ? `, attempt ${lock.attempt} of ${job.maxAttempts}` : '';
        const running: { state: 'pending'; context: string; description: string; targetUrl?: string } = { state: 'pending', context: this.#context, description: `running on ${lock.worker}${attempt}` };
        // The collector writes a live page where the report will be (--site on the --out folder): link it.
        const livePage = this.#options.liveLinks ? this.reportUrl(job) : undefined;
        if (livePage) running.targetUrl = livePage;
        await this.#forge.setStatus(job.head, running);
        recordWrite(state.writes, 'progress', this.#clock.now());
        state.running[job.id] = key;
        changed = true;
      }
    } finally {
      if (changed) saveStateFile(this.#options.stateDir, this.#stateName, state);
    }
  }

  /**
   * The report comment: a hidden line naming the verdict shown (read back at the next report),
   * then the job's report.md (or, when it has none, the same layout with the reason).
   */
  commentBody(job: PrJob, verdict: Decision): string {
    const url = this.reportUrl(job);
    const status = verdict.status === 'cancelled' ? 'error' : verdict.status;
    let report = verdict.reports['report.md']?.trimEnd() ?? bareReport(job, status, verdict.reason, url).trimEnd();
    if (url && !report.includes(url)) report += `\n\n${markdownLink(url, 'Full report')}`;
    const marker = verdictMarker(verdict.status);
    const room = COMMENT_MAX - marker.length - 400;
    const body = report.length > room ? `${report.slice(0, room)}\n\n_(cut: the report is longer than a comment may be${url ? `; see the ${markdownLink(url, 'full report')}` : ''})_` : report;
    return `${marker}\n${body}\n`;
  }

  /** The short new comment when the verdict turned around: what happened, on which commit, where to read more. */
  noticeBody(job: PrJob, verdict: Decision, commentUrl: string): string {
    const url = this.reportUrl(job);
    const links = [markdownLink(commentUrl, 'the report comment'), ...(url ? [markdownLink(url, 'full report')] : [])].join(' · ');
    const head = commitText(job.head);
    const line =
      verdict.status === 'failure'
        ? `❌ This pull request has new problems since the last check (checked ${head}): ${escapeMarkdown(clip(verdict.reason, 300))}`
        : `✅ The new problems are gone: this pull request passes the check again (checked ${head}).`;
    return `${line}\n\nDetails: ${links}\n`;
  }

  async #decide(job: PrJob, verdict: Decision): Promise<PublishDecision> {
    let pull: PullRequest;
    try {
      pull = await this.#forge.getPull(job.pr);
    } catch (error) {
      if (isRefciError(error) && error.code === 'not-found') return { publish: false, note: `pull request #${job.pr} no longer exists on ${this.#forge.repo}; nothing published` };
      throw error;
    }
    if (pull.headSha.toLowerCase() !== job.head.toLowerCase()) {
      return { publish: false, note: `superseded: the head of PR #${job.pr} is now ${pull.headSha.slice(0, 12)}; nothing published` };
    }
    if (verdict.status === 'cancelled') {
      const skip = (this.#options.skipLabel ?? 'noci').toLowerCase();
      if (pull.state !== 'open' || pull.labels.some((label) => label.toLowerCase() === skip)) return { publish: false };
    }
    return { publish: true };
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }
}

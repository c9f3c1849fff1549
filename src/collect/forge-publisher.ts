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
 */
import { isRefciError } from '../errors.ts';
import { forgeStateName, loadStateFile, saveStateFile } from '../coord/state-file.ts';
import { sameRepository } from '../protocol/repo-url.ts';
import { DEFAULT_STATUS_CONTEXT } from '../forge/types.ts';
import { reportMarker } from '../forge/text.ts';
import type { CommitStatus, Forge, PullRequest } from '../forge/types.ts';
import type { Summary } from '../protocol/history.ts';
import { jobForge, type JobDescriptor } from '../protocol/job.ts';
import { descriptorOf, lockOf, stateOf, type Snapshot } from '../protocol/snapshot.ts';
import type { Publisher } from './publisher.ts';
import { fillReportUrl } from './report-url.ts';
import type { Decision } from './verdict.ts';

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
  log?: (line: string) => void;
}

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
}

export class ForgePublisher implements Publisher {
  readonly #forge: Forge;
  readonly #options: ForgePublisherOptions;
  readonly #context: string;
  readonly #decisions = new Map<string, PublishDecision>();
  readonly #stateName: string;

  constructor(options: ForgePublisherOptions) {
    this.#forge = options.forge;
    this.#options = options;
    this.#context = options.context ?? DEFAULT_STATUS_CONTEXT;
    this.#stateName = forgeStateName('publisher', options.forge.kind, options.forge.repo);
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
    const decision = await this.#decide(job, verdict);
    this.#decisions.set(job.id, decision);
    return decision.note;
  }

  async publish(job: JobDescriptor | undefined, _summary: Summary, verdict: Decision): Promise<void> {
    if (!this.handles(job)) return;
    const decision = this.#decisions.get(job.id) ?? (await this.#decide(job, verdict));
    this.#decisions.delete(job.id);
    if (!decision.publish) {
      this.#log(`${job.id}: nothing published on ${this.#forge.repo}${decision.note ? `: ${decision.note}` : ''}`);
      return;
    }
    const targetUrl = this.reportUrl(job);
    const status: CommitStatus =
      verdict.status === 'cancelled'
        ? { state: 'error', context: this.#context, description: `cancelled: ${verdict.reason}` }
        : { state: verdict.status, context: this.#context, description: verdict.reason };
    if (targetUrl) status.targetUrl = targetUrl;
    await this.#forge.setStatus(job.head, status);
    if (verdict.status !== 'cancelled') {
      const comment = await this.#forge.upsertComment(job.pr, reportMarker(this.#context), this.commentBody(job, verdict));
      this.#log(`${job.id}: ${verdict.status} published on PR #${job.pr} (comment ${comment.action})`);
    } else {
      this.#log(`${job.id}: cancelled status published on PR #${job.pr}`);
    }
  }

  /** "running on <worker>" for running jobs of this repository not announced yet (per claim or takeover). */
  async observe(snapshot: Snapshot): Promise<void> {
    const state = loadStateFile<PublisherState>(this.#options.stateDir, this.#stateName, () => ({ version: 1, running: {} }));
    let changed = false;
    for (const id of Object.keys(state.running)) {
      const live = snapshot.get(id);
      if (!live || stateOf(live) !== 'running') {
        delete state.running[id];
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
        const attempt = lock.attempt > 1 ? `, attempt ${lock.attempt} of ${job.maxAttempts}` : '';
        await this.#forge.setStatus(job.head, { state: 'pending', context: this.#context, description: `running on ${lock.worker}${attempt}` });
        state.running[job.id] = key;
        changed = true;
      }
    } finally {
      if (changed) saveStateFile(this.#options.stateDir, this.#stateName, state);
    }
  }

  /** The report comment: the job's report.md (or a short one), then a line naming the job, the commit and the report. */
  commentBody(job: PrJob, verdict: Decision): string {
    const report = verdict.reports['report.md']?.trimEnd() ?? `## refci: ${verdict.status}\n\n${verdict.reason}`;
    const url = this.reportUrl(job);
    const footer = [`job \`${job.id}\``, `checked \`${job.head}\` onto \`${job.base}\``];
    if (url && !report.includes(url)) footer.push(`[full report](${url})`);
    const tail = `\n\n---\n<sub>refci · ${footer.join(' · ')}</sub>\n`;
    const room = COMMENT_MAX - tail.length - 200;
    const body = report.length > room ? `${report.slice(0, room)}\n\n_(cut: the report is longer than a comment may be${url ? '; see the full report' : ''})_` : report;
    return `${body}${tail}`;
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

/**
 * Publishing each job on its own forge. A job enqueued by discovery names its forge
 * (`forge: "github:gentoo/gentoo"`); the router gives it to the publisher for that forge, made on
 * first need with the settings this main host holds (`open`), so `refci collect` publishes what
 * `refci enqueue --github` queued without naming the repository again. Publishers named on the
 * command line (`--github owner/name`) come first; they also take older jobs without `forge`, by
 * repository URL.
 *
 * A forge this host has no settings for (no token) leaves its jobs live and unarchived:
 * `unpublishable` says why, and the collector logs it once per forge and run.
 */
import { isRefciError, RefciError } from '../errors.ts';
import { parseJobForge, type JobDescriptor } from '../protocol/job.ts';
import type { Summary } from '../protocol/history.ts';
import { descriptorOf, stateOf, type Snapshot } from '../protocol/snapshot.ts';
import type { ForgePublisher } from './forge-publisher.ts';
import type { Publisher } from './publisher.ts';
import type { Decision } from './verdict.ts';

export interface ForgeRouterOptions {
  /** Publishers from the command line's forge flags. */
  fixed: ForgePublisher[];
  /** A publisher for a forge jobs name (`github`, `gentoo/gentoo`); throws a one-line error when this host has no settings for it. */
  open: (kind: 'github' | 'codeberg', repo: string) => Promise<ForgePublisher>;
}

export class ForgeRouter implements Publisher {
  readonly #options: ForgeRouterOptions;
  /** By forge id: the publisher made, or why none could be (tried again each time: a token may appear). */
  readonly #opened = new Map<string, ForgePublisher>();

  constructor(options: ForgeRouterOptions) {
    this.#options = options;
  }

  /** The publisher for a job, undefined when no forge publishes it (no pr, or an old job no flag names). */
  async #for(job: JobDescriptor | undefined): Promise<ForgePublisher | Error | undefined> {
    if (job?.pr === undefined) return undefined;
    const fixed = this.#options.fixed.find((publisher) => publisher.handles(job));
    if (fixed) return fixed;
    const forge = parseJobForge(job.forge);
    if (!forge) return undefined;
    const known = this.#opened.get(job.forge!);
    if (known) return known;
    try {
      const publisher = await this.#options.open(forge.kind, forge.repo);
      this.#opened.set(job.forge!, publisher);
      return publisher;
    } catch (error) {
      // One line naming the forge, the problem and the fix; the jobs wait, live, for a later round.
      const problem = isRefciError(error) ? error.oneLine() : String((error as Error)?.message ?? error);
      return new RefciError(isRefciError(error) ? error.code : 'usage', `jobs of ${job.forge} are left live, not published: ${problem}`);
    }
  }

  /** The publishers in use: those of the flags and those opened for jobs so far. */
  #all(): ForgePublisher[] {
    return [...this.#options.fixed, ...this.#opened.values()];
  }

  async unpublishable(job: JobDescriptor | undefined): Promise<Error | undefined> {
    const found = await this.#for(job);
    return found instanceof Error ? found : undefined;
  }

  reportLink(job: JobDescriptor): string | undefined {
    for (const publisher of this.#all()) {
      const link = publisher.reportLink(job);
      if (link) return link;
    }
    return undefined;
  }

  async precheck(job: JobDescriptor | undefined, verdict: Decision): Promise<string | undefined> {
    const publisher = await this.#for(job);
    if (publisher instanceof Error) throw publisher;
    return publisher?.precheck(job, verdict);
  }

  async publish(job: JobDescriptor | undefined, summary: Summary, verdict: Decision): Promise<string | undefined> {
    const publisher = await this.#for(job);
    if (publisher instanceof Error) throw publisher;
    return publisher?.publish(job, summary, verdict);
  }

  /** "running on <worker>" through the publisher of each running job's forge. */
  async observe(snapshot: Snapshot): Promise<void> {
    // Opens the forges of running jobs; each publisher then picks its own jobs and forgets old ones.
    for (const live of snapshot.values()) if (stateOf(live) === 'running') await this.#for(descriptorOf(live));
    for (const publisher of this.#all()) await publisher.observe(snapshot);
  }
}

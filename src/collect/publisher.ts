import fs from 'node:fs';
import path from 'node:path';
import type { JobDescriptor } from '../protocol/job.ts';
import type { Summary } from '../protocol/history.ts';
import type { Snapshot } from '../protocol/snapshot.ts';
import type { Decision } from './verdict.ts';

/** Somewhere a verdict is told: a folder, the terminal, a forge. Publishing twice must be harmless. */
export interface Publisher {
  /**
   * Tells the verdict. A note returned means this publisher gave up on the job for good (the forge
   * kept refusing it): the collector adds it to the verdict's reason, tells the publishers before
   * this one again, and archives the job.
   */
  publish(job: JobDescriptor | undefined, summary: Summary, verdict: Decision): Promise<string | void>;
  /**
   * Called for each job before its summary is made. A note returned is added to the verdict's
   * reason (e.g. `superseded: …; nothing published` when the pull request moved on).
   */
  precheck?(job: JobDescriptor | undefined, verdict: Decision): Promise<string | undefined>;
  /** Called once a round with the live jobs after the sweep (e.g. to post "running on <worker>"). */
  observe?(snapshot: Snapshot): Promise<void>;
  /** Where this publisher's readers find the job's full report, when it publishes the job and knows. */
  reportLink?(job: JobDescriptor): string | undefined;
  /**
   * Why this job cannot be published now (its forge has no settings on this host), or undefined.
   * Such a job stays live, unarchived; the collector says why once per reason and run.
   */
  unpublishable?(job: JobDescriptor | undefined): Promise<Error | undefined>;
}

/** Writes each job's reports and summary to `<dir>/<job id>/`, the folder an operator serves. */
export class FolderPublisher implements Publisher {
  constructor(private readonly dir: string) {}

  async publish(_job: JobDescriptor | undefined, summary: Summary, verdict: Decision): Promise<void> {
    const target = path.join(this.dir, summary.job);
    fs.mkdirSync(target, { recursive: true });
    // Names come from refci (reports) and from step names checked in step-logs.ts: none leaves the folder.
    for (const [name, content] of Object.entries({ ...verdict.files, ...verdict.reports })) {
      fs.mkdirSync(path.dirname(path.join(target, name)), { recursive: true });
      fs.writeFileSync(path.join(target, name), content);
    }
    fs.writeFileSync(path.join(target, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  }
}

import type { JobDescriptor } from '../protocol/job.ts';
import type { ResultRecord } from '../protocol/result.ts';

import type { Verdict } from '../protocol/verdict.ts';

/** A verdict with its report files by name (report.md, report.html, qa.json), stored with the history entry. */
export interface Decision extends Verdict {
  reports: Record<string, string>;
}

/** What a decider may read: the job, its result and the result's artifacts. */
export interface DecideInput {
  job: JobDescriptor | undefined;
  result: ResultRecord;
  readArtifact: (path: string) => Promise<Buffer | undefined>;
  /** The full report's link, for reports that point to it (from the publishers). */
  reportUrl?: string;
}

export type Decider = (input: DecideInput) => Promise<Decision>;

/** The default decider: the pipeline's own status is the verdict. */
export const statusDecider: Decider = async ({ job, result }) => ({
  status: result.status,
  reason: result.reason,
  reports: { 'report.md': plainReport(job, result) },
});

export function plainReport(job: JobDescriptor | undefined, result: ResultRecord): string {
  const lines = [`## refci: ${result.status}`, '', result.reason, ''];
  if (job) {
    lines.push(`- job \`${job.id}\`, pipeline \`${job.pipeline}\`${job.pr ? `, PR #${job.pr}` : ''}`);
    lines.push(`- head \`${job.head}\` onto \`${job.base}\``);
  }
  lines.push(`- worker \`${result.worker}\`, attempt ${result.attempt}, ${(result.durationMs / 1000).toFixed(1)}s`);
  if (result.steps.length) {
    lines.push('', '| step | exit | time |', '| --- | --- | --- |');
    for (const step of result.steps) {
      const exit = step.timedOut ? 'timed out' : step.exitCode ?? step.signal ?? '?';
      lines.push(`| ${step.name} | ${exit} | ${(step.durationMs / 1000).toFixed(1)}s |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

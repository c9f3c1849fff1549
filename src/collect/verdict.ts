import type { JobDescriptor } from '../protocol/job.ts';
import type { ResultRecord } from '../protocol/result.ts';
import type { Verdict } from '../protocol/verdict.ts';
import { clip, escapeMarkdown } from '../qa/escape.ts';
import { factsBlock, headingLine, type CheckFacts, type CheckStatus } from '../qa/report-facts.ts';
import { plainHtmlReport } from './plain-html.ts';
import { baseScanLine } from './base-scan-line.ts';
import { scopeLine } from './scope-line.ts';
import { excerptMarkdown, failedStepExcerpt, stepOutcomeText, type LogExcerpt } from './step-logs.ts';

/** A verdict with its report files by name (report.md, report.html, qa.json), stored with the history entry. */
export interface Decision extends Verdict {
  reports: Record<string, string>;
  /** Files published beside the reports as they are (the steps' logs, `logs/<step>.log`). */
  files?: Record<string, Uint8Array>;
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
export const statusDecider: Decider = async (input) => plainDecision(input, input.result.status);

/** A verdict told without a QA report: report.md (the comment) and report.html, with the failed step's last lines. */
export async function plainDecision({ job, result, readArtifact, reportUrl }: DecideInput, status: Verdict['status']): Promise<Decision> {
  const excerpt = await failedStepExcerpt(result, readArtifact);
  return {
    status,
    reason: result.reason,
    reports: {
      'report.md': plainReport(job, result, reportUrl, excerpt),
      'report.html': plainHtmlReport(result, checkFacts(job, result, reportUrl), excerpt),
    },
  };
}

/** The facts every comment ends with, from what the job and its result say. */
export function checkFacts(job: JobDescriptor | undefined, result: ResultRecord | undefined, reportUrl?: string): CheckFacts {
  const facts: CheckFacts = {};
  if (job) {
    facts.headSha = job.head;
    facts.baseSha = typeof result?.details.basis === 'string' ? result.details.basis : job.base;
    if (job.baseRef) facts.baseRef = job.baseRef;
    if (job.pr !== undefined) facts.pr = job.pr;
    if (job.prUrl) facts.prUrl = job.prUrl;
  }
  if (result) {
    const scope = scopeLine(result.details);
    if (scope) facts.scope = scope;
    const baseScan = baseScanLine(result.details);
    if (baseScan) facts.baseScan = baseScan;
    facts.checkedAt = result.finishedAt;
    if (Object.keys(result.tools).length > 0) facts.tools = result.tools;
  }
  if (reportUrl) facts.reportUrl = reportUrl;
  return facts;
}

const HEADINGS: Record<CheckStatus, string> = {
  success: 'The check passed',
  failure: 'The check failed',
  error: 'The check could not be completed',
};

/**
 * The comment of a run without a QA report (a pipeline that failed or did not finish, a kind
 * without a decider): the same layout as the QA comment, the reason escaped, the steps that ran.
 */
export function plainReport(job: JobDescriptor | undefined, result: ResultRecord, reportUrl?: string, excerpt?: LogExcerpt): string {
  const status: CheckStatus = result.status === 'cancelled' ? 'error' : result.status;
  let text = `${headingLine(status, result.status === 'cancelled' ? 'The check was stopped' : HEADINGS[status])}\n${escapeMarkdown(clip(result.reason, 2000))}\n`;
  if (result.steps.length) {
    const rows = ['| Step | Result | Time |', '| --- | --- | --- |'];
    for (const step of result.steps) {
      rows.push(`| ${escapeMarkdown(step.name)} | ${escapeMarkdown(stepOutcomeText(step))} | ${(step.durationMs / 1000).toFixed(1)}s |`);
    }
    text += `\n${rows.join('\n')}\n`;
  }
  if (excerpt) text += excerptMarkdown(excerpt, reportUrl);
  return `${text}${factsBlock(checkFacts(job, result, reportUrl))}`;
}

/** A verdict with no result to read (cancelled before it ran, unreadable): the reason alone, in both report files, so the report link never leads nowhere. */
export function withoutResult(job: JobDescriptor | undefined, status: 'error' | 'cancelled', reason: string, reportUrl?: string): Decision {
  return {
    status,
    reason,
    reports: {
      'report.md': bareReport(job, 'error', reason, reportUrl),
      'report.html': plainHtmlReport({ status, reason }, checkFacts(job, undefined, reportUrl)),
    },
  };
}

/** The comment when there is no report at all (the result could not be read): heading, reason, what is known. */
export function bareReport(job: JobDescriptor | undefined, status: CheckStatus, reason: string, reportUrl?: string): string {
  return `${headingLine(status, HEADINGS[status])}\n${escapeMarkdown(clip(reason, 2000))}\n${factsBlock(checkFacts(job, undefined, reportUrl))}`;
}

/** What every report renderer takes: the verdict, the diff, and where it came from. */
import type { DiffEntry, QaDiff } from './diff.ts';
import type { ParseProblem } from './types.ts';
import type { CheckFacts } from './report-facts.ts';
import type { Verdict } from './verdict.ts';

/**
 * The facts of the check (commits, time, tools, pull request, full report: report-facts.ts),
 * and what only the QA report uses.
 */
export interface ReportMeta extends CheckFacts {
  /** Kept in the machine-readable report; comments and pages do not show it. */
  jobId?: string;
  /** Heading prefix (`pkgcheck: 2 new problems`); none by default. */
  title?: string;
  /**
   * Packages the pull request changes itself (`cat/pkg`), not those scanned because they inherit
   * a changed eclass. Problems already present before the pull request are listed for these.
   */
  touchedPackages?: string[];
}

export interface QaReport {
  verdict: Verdict;
  diff: QaDiff;
  meta?: ReportMeta;
  /** What was detected in each input (JsonStream, JsonReporter, XmlReporter, empty, unknown). */
  formats?: { base: string; head: string };
  /** Lines of pkgcheck output that could not be read. */
  problems?: { base: ParseProblem[]; head: ParseProblem[] };
}

export function isHttpUrl(url: string | undefined): url is string {
  if (url === undefined) return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** What the heading says: how many new problems fail the check, none, or that the check did not finish. */
export function headingText(report: QaReport): string {
  const { verdict, diff } = report;
  if (verdict.status === 'error') return 'The check could not be completed';
  const failing = [...diff.new, ...diff.carriedOver].filter((e) => e.counts).length;
  if (verdict.status === 'failure') return `${Math.max(1, failing)} new ${failing > 1 ? 'problems' : 'problem'}`;
  return 'No new problems';
}

/** Problems already present, in packages the pull request touches (undefined: not known). */
export function preExistingTouched(report: QaReport): DiffEntry[] | undefined {
  const touched = report.meta?.touchedPackages;
  if (touched === undefined) return undefined;
  const set = new Set(touched);
  return report.diff.preExisting.filter((e) => e.location.category !== undefined && e.location.package !== undefined && set.has(`${e.location.category}/${e.location.package}`));
}


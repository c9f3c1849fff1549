/** What every report renderer takes: the verdict, the diff, and where it came from. */
import type { QaDiff } from './diff.ts';
import type { ParseProblem } from './types.ts';
import type { Verdict } from './verdict.ts';

export interface ReportMeta {
  /** Commit that was checked (the pull request head, merged). */
  headSha?: string;
  /** Commit it was compared against. */
  baseSha?: string;
  jobId?: string;
  /** Where the full (HTML) report is published; http(s) only, anything else is shown as text. */
  reportUrl?: string;
  /** Heading prefix; default "refci QA". */
  title?: string;
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

export function shortSha(sha: string): string {
  return /^[0-9a-f]{13,}$/i.test(sha) ? sha.slice(0, 12) : sha;
}

/**
 * One call from two pkgcheck outputs to a rendered report and a verdict:
 * what `refci qa-diff` and the collector use. Pure: texts in, text out.
 *
 * Lines of pkgcheck output that cannot be read make the verdict `error`
 * (a truncated or corrupt scan cannot certify anything) unless
 * `tolerateProblems` is set; they are listed in every report either way.
 */
import type { KeywordClassMap } from './classes.ts';
import { diffFindings } from './diff.ts';
import type { Excludes } from './excludes.ts';
import { applyMoves, type PackageMove } from './moves.ts';
import { parsePkgcheckOutput } from './parse.ts';
import { renderHtml } from './report-html.ts';
import { renderJson } from './report-json.ts';
import { renderMarkdown } from './report-markdown.ts';
import { withReplayMessages } from './replay-messages.ts';
import type { QaReport, ReportMeta } from './report-model.ts';
import type { ParseProblem, ParseResult } from './types.ts';
import { verdictOf, type Verdict } from './verdict.ts';

export type ReportFormat = 'json' | 'markdown' | 'html';

export interface RunQaDiffInput extends ReportMeta {
  baseText: string;
  headText: string;
  /** `pkgcheck replay -R JsonReporter` of a JsonStream scan: its messages and levels are shown instead of attributes. */
  baseMessagesText?: string;
  headMessagesText?: string;
  /** Default `json`. */
  format?: ReportFormat;
  /** Replaces Gentoo CI's keyword classes when given. */
  classes?: KeywordClassMap;
  excludes?: Excludes;
  countWarnings?: boolean;
  /** Count carried-over findings (a bump's copies of the old version's) as new ones. */
  countCarriedOver?: boolean;
  /** Versions the PR adds, `cat/pkg/ver`; without it, versions the base has no finding at. */
  newVersions?: readonly string[];
  /** Set when the pipeline failed (regen, scan, timeout): the verdict is `error` with this cause. */
  pipelineError?: string;
  /** Do not turn unreadable lines into an `error` verdict (they are still reported). */
  tolerateProblems?: boolean;
  /** Package moves the PR adds (profiles/updates): base findings of `from` are read as `to`. */
  moves?: PackageMove[];
  /** Markdown only: cap on the comment length (default 60,000). */
  maxLength?: number;
}

export interface RunQaDiffResult {
  output: string;
  verdict: Verdict;
  /** The same report, unrendered, for callers that want more than one rendering. */
  report: QaReport;
}

function describeProblems(side: string, problems: ParseProblem[]): string {
  const first = problems[0]!;
  return `${problems.length} unreadable ${problems.length === 1 ? 'line' : 'lines'} in the ${side} pkgcheck output (line ${first.line}: ${first.message})`;
}

export function buildQaReport(input: Omit<RunQaDiffInput, 'format'>): QaReport {
  const base: ParseResult = parsePkgcheckOutput(input.baseText);
  const head: ParseResult = parsePkgcheckOutput(input.headText);
  const replayWarnings: string[] = [];
  const described = (scan: ParseResult, replayText: string | undefined, side: string) => {
    if (replayText === undefined) return scan.findings;
    if (scan.format !== 'JsonStream') {
      if (scan.format !== 'empty') replayWarnings.push(`the ${side} replay was not used: its scan is ${scan.format} output, which has messages of its own`);
      return scan.findings;
    }
    const zipped = withReplayMessages(scan.findings, parsePkgcheckOutput(replayText), side);
    if (zipped.warning) replayWarnings.push(zipped.warning);
    return zipped.findings;
  };
  const moves = input.moves ?? [];
  const diff = diffFindings(applyMoves(described(base, input.baseMessagesText, 'base'), moves), described(head, input.headMessagesText, 'head'), {
    classes: input.classes,
    excludes: input.excludes,
    countWarnings: input.countWarnings,
    countCarriedOver: input.countCarriedOver,
    newVersions: input.newVersions ? new Set(input.newVersions) : undefined,
  });
  if (base.format !== head.format && base.format !== 'empty' && head.format !== 'empty') {
    diff.warnings.unshift(`base is ${base.format} output but head is ${head.format} output; scan both with the same reporter`);
  }
  diff.warnings.push(...replayWarnings);
  if (moves.length > 0) {
    const listed = moves.slice(0, 5).map((m) => `${m.from} -> ${m.to}`).join(', ');
    diff.warnings.push(`base findings renamed by the package moves this PR adds: ${listed}${moves.length > 5 ? ` and ${moves.length - 5} more` : ''}`);
  }
  const causes: string[] = [];
  if (input.pipelineError !== undefined) causes.push(input.pipelineError);
  if (!input.tolerateProblems) {
    if (base.problems.length > 0) causes.push(describeProblems('base', base.problems));
    if (head.problems.length > 0) causes.push(describeProblems('head', head.problems));
  }
  const verdict = verdictOf(diff, causes.length > 0 ? { pipelineError: causes.join('; ') } : {});
  const meta: ReportMeta = {};
  for (const k of ['headSha', 'baseSha', 'baseRef', 'checkedAt', 'pr', 'prUrl', 'jobId', 'reportUrl', 'title', 'scope', 'baseScan'] as const) {
    if (input[k] !== undefined) (meta as Record<string, unknown>)[k] = input[k];
  }
  if (input.tools !== undefined) meta.tools = { ...input.tools };
  if (input.touchedPackages !== undefined) meta.touchedPackages = [...input.touchedPackages];
  return {
    verdict,
    diff,
    meta,
    formats: { base: base.format, head: head.format },
    problems: { base: base.problems, head: head.problems },
  };
}

export function renderQaReport(report: QaReport, format: ReportFormat = 'json', options: { maxLength?: number } = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report, options);
    case 'html':
      return renderHtml(report);
  }
}

export function runQaDiff(input: RunQaDiffInput): RunQaDiffResult {
  const report = buildQaReport(input);
  const output = renderQaReport(report, input.format ?? 'json', { maxLength: input.maxLength });
  return { output, verdict: report.verdict, report };
}

/**
 * The machine-readable report:
 * `{verdict: {status, reason}, counts, new: [...], fixed: [...], preExisting: [...], carriedOver: [...]}`
 * plus meta, formats, warnings and unreadable lines. Each finding has
 * keyword, class, level (null when the reporter does not say), scope,
 * location, message, key, counts and excluded; JsonStream findings also
 * their attributes (their message is those attributes as text); carried-over
 * findings the base version they came from (`carriedFrom`).
 */
import type { DiffEntry } from './diff.ts';
import type { QaReport } from './report-model.ts';
import type { Location, ParseProblem, Scope } from './types.ts';
import type { Verdict } from './verdict.ts';

export interface JsonFinding {
  keyword: string;
  class: string;
  level: string | null;
  scope: Scope;
  location: Location;
  message: string;
  attributes?: Record<string, unknown>;
  key: string;
  counts: boolean;
  excluded: boolean;
  carriedFrom?: string;
}

export interface JsonReport {
  verdict: Verdict;
  counts: {
    new: number;
    newCounting: number;
    fixed: number;
    fixedCounting: number;
    preExisting: number;
    preExistingCounting: number;
    carriedOver: number;
    carriedOverCounting: number;
  };
  meta: { headSha: string | null; baseSha: string | null; jobId: string | null; reportUrl: string | null };
  formats: { base: string; head: string } | null;
  warnings: string[];
  problems: { base: ParseProblem[]; head: ParseProblem[] };
  new: JsonFinding[];
  fixed: JsonFinding[];
  preExisting: JsonFinding[];
  /** Findings of added versions the base has at an older version; each names it in `carriedFrom`. */
  carriedOver: JsonFinding[];
}

function item(e: DiffEntry): JsonFinding {
  const out: JsonFinding = {
    keyword: e.keyword,
    class: e.class,
    level: e.level ?? null,
    scope: e.scope,
    location: e.location,
    message: e.message,
    key: e.key,
    counts: e.counts,
    excluded: e.excluded,
  };
  if (e.attributes !== undefined) out.attributes = e.attributes;
  if (e.carriedFrom !== undefined) out.carriedFrom = e.carriedFrom;
  return out;
}

export function toJsonReport(report: QaReport): JsonReport {
  const { diff, meta = {} } = report;
  const counting = (l: DiffEntry[]): number => l.filter((e) => e.counts).length;
  return {
    verdict: report.verdict,
    counts: {
      new: diff.new.length,
      newCounting: counting(diff.new),
      fixed: diff.fixed.length,
      fixedCounting: counting(diff.fixed),
      preExisting: diff.preExisting.length,
      preExistingCounting: counting(diff.preExisting),
      carriedOver: diff.carriedOver.length,
      carriedOverCounting: counting(diff.carriedOver),
    },
    meta: {
      headSha: meta.headSha ?? null,
      baseSha: meta.baseSha ?? null,
      jobId: meta.jobId ?? null,
      reportUrl: meta.reportUrl ?? null,
    },
    formats: report.formats ?? null,
    warnings: diff.warnings,
    problems: report.problems ?? { base: [], head: [] },
    new: diff.new.map(item),
    fixed: diff.fixed.map(item),
    preExisting: diff.preExisting.map(item),
    carriedOver: diff.carriedOver.map(item),
  };
}

export function renderJson(report: QaReport): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}

/**
 * The pull-request comment, for a contributor who reads it in ten seconds: a heading saying
 * what happened, the one-line reason, then "New problems" (grouped by package), "Carried over
 * from older versions" (when a bump copied an old ebuild's problems), "Fixed", and "Already
 * present before this PR" with the count and the ones in the packages the pull request touches;
 * last the commits checked, the time, the tool versions and the links (report-facts.ts).
 * Hard-capped below GitHub's 65,536-character comment limit; what does not fit is cut with a
 * note saying how much and where the rest is. Everything from pkgcheck is escaped.
 */
import type { DiffEntry } from './diff.ts';
import { clip, codeSpan, escapeMarkdown } from './escape.ts';
import { entryPlace, groupEntries } from './grouping.ts';
import { factsBlock, fullReportRef, headingLine } from './report-facts.ts';
import { headingText, preExistingTouched, type QaReport } from './report-model.ts';

/** GitHub refuses comments over 65,536 characters; stay well below. */
export const MARKDOWN_MAX_LENGTH = 60_000;
const MESSAGE_MAX = 400;

export interface MarkdownOptions {
  /** Upper bound on the comment length in UTF-16 code units (default 60,000). */
  maxLength?: number;
}

function itemLine(e: DiffEntry): string {
  // Marked: what fails the check now, and what failed it before and is fixed. Problems already
  // present are the base's, not this pull request's: no mark.
  const mark = !e.counts || e.status === 'pre-existing' ? '' : e.status === 'fixed' ? '✅ ' : '❌ ';
  const place = entryPlace(e);
  const extra = `${e.carriedFrom !== undefined ? ` (carried over from ${codeSpan(e.carriedFrom)})` : ''}${e.excluded ? ' (excluded)' : ''}`;
  return `- ${mark}${codeSpan(e.keyword)}${place ? ` in ${codeSpan(place)}` : ''}${extra}: ${escapeMarkdown(clip(e.message, MESSAGE_MAX))}`;
}

/** The lines of one section: a bold heading per package, one bullet per finding; with the entry each bullet renders. */
function sectionLines(entries: readonly DiffEntry[]): Array<{ text: string; entry?: DiffEntry }> {
  const out: Array<{ text: string; entry?: DiffEntry }> = [];
  for (const cat of groupEntries(entries)) {
    for (const pkg of cat.packages) {
      out.push({ text: `\n**${pkg.name === '' ? 'Repository' : escapeMarkdown(pkg.name)}**\n` });
      for (const e of pkg.entries) out.push({ text: `${itemLine(e)}\n`, entry: e });
    }
  }
  return out;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function renderMarkdown(report: QaReport, options: MarkdownOptions = {}): string {
  const max = options.maxLength ?? MARKDOWN_MAX_LENGTH;
  const { verdict, diff, meta = {} } = report;
  const fullReport = fullReportRef(meta.reportUrl);

  let head = `${headingLine(verdict.status, headingText(report), meta.title)}\n`;
  head += `${escapeMarkdown(clip(verdict.reason, 2000))}\n`;
  const problemCount = (report.problems?.base.length ?? 0) + (report.problems?.head.length ?? 0);
  if (problemCount > 0) head += `\n${escapeMarkdown(`${plural(problemCount, 'line')} of pkgcheck output could not be read`)}; see ${fullReport}.\n`;
  for (const w of diff.warnings) head += `\n_${escapeMarkdown(clip(w, 500))}_\n`;
  const tail = factsBlock(meta);

  // Budget: the head and tail always go in; sections fill what is left, each
  // keeping room for its own "not shown" note.
  const NOTE_ROOM = 400;
  let body = '';
  const budget = (): number => max - head.length - tail.length - body.length - NOTE_ROOM * 2;
  const list = (entries: readonly DiffEntry[], what: string): void => {
    const lines = sectionLines(entries);
    let shown = 0;
    let i = 0;
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      // Do not leave a package heading without at least one of its findings.
      const needed = line.entry ? line.text.length : line.text.length + (lines[i + 1]?.text.length ?? 0);
      if (needed > budget()) break;
      body += line.text;
      if (line.entry) shown++;
    }
    if (shown < entries.length) {
      const rest = entries.length - shown;
      const restFailing = lines.slice(i).filter((l) => l.entry?.counts).length;
      body += `\n_… ${plural(rest, `more ${what}`)} not shown${restFailing > 0 ? ` (${restFailing} of them fail the check)` : ''}: the comment is capped at ${max} characters; see ${fullReport}._\n`;
    }
  };
  const section = (heading: string, entries: readonly DiffEntry[], what: string): void => {
    body += `\n### ${heading} (${entries.length})\n`;
    if (entries.length === 0) {
      body += '\nNone.\n';
      return;
    }
    const failing = entries.filter((e) => e.counts).length;
    if (mixes(entries, failing)) body += `\n${entries[0]!.status === 'fixed' ? '✅ marks the fixed problems that failed the check before' : '❌ marks the problems that fail the check'}; the others are shown for information.\n`;
    list(entries, what);
  };
  section('New problems', diff.new, 'new problem');
  // Right after the new ones: a bump copies the old ebuild's problems, which a
  // reviewer should see even when they do not fail the check.
  if (diff.carriedOver.length > 0) section('Carried over from older versions', diff.carriedOver, 'carried-over problem');
  section('Fixed', diff.fixed, 'fixed problem');

  const before = diff.preExisting.length;
  const touched = preExistingTouched(report);
  body += `\n### Already present before this PR (${before}${touched ? `, in packages you touched: ${touched.length}` : ''})\n`;
  if (before === 0) body += '\nNone.\n';
  else if (touched === undefined) body += `\nListed in ${fullReport}.\n`;
  else {
    if (touched.length > 0) list(touched, 'problem already present');
    const others = before - touched.length;
    const who = others === before ? (others === 1 ? 'It is' : `All ${others} are`) : others === 1 ? 'The other one is' : `The other ${others} are`;
    if (others > 0) body += `\n${who} in packages this pull request does not change; see ${fullReport}.\n`;
  }

  const out = `${head}${body}${tail}`;
  // The budget arithmetic keeps this true; a last guard in case a caller passes a tiny maxLength.
  return out.length <= max ? out : `${out.slice(0, Math.max(0, max - 40))}\n\n_… cut at ${max} characters._\n`;
}

/** A section mixes problems that fail the check with others: say what the mark means. */
function mixes(entries: readonly DiffEntry[], failing: number): boolean {
  return failing > 0 && failing < entries.length;
}

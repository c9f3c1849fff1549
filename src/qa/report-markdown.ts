/**
 * The pull-request comment: verdict, the commit checked, new findings first
 * (grouped by package), then those a version bump carried over from an older
 * version (when there are any), then fixed ones, then a count of pre-existing ones
 * and a link to the full report. Hard-capped below GitHub's 65,536-character
 * comment limit; what does not fit is cut with a note saying how much and
 * where the rest is. Everything from pkgcheck is escaped.
 */
import type { DiffEntry } from './diff.ts';
import { clip, codeSpan, escapeMarkdown } from './escape.ts';
import { entryPlace, groupEntries } from './grouping.ts';
import { isHttpUrl, shortSha, type QaReport } from './report-model.ts';

/** GitHub refuses comments over 65,536 characters; stay well below. */
export const MARKDOWN_MAX_LENGTH = 60_000;
const MESSAGE_MAX = 400;

export interface MarkdownOptions {
  /** Upper bound on the comment length in UTF-16 code units (default 60,000). */
  maxLength?: number;
}

const ICON = { success: '✅', failure: '❌', error: '⚠️' } as const;

function link(url: string, text: string): string {
  const dest = url.replace(/[()<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `[${escapeMarkdown(text)}](${dest})`;
}

function fullReport(report: QaReport): string {
  const url = report.meta?.reportUrl;
  if (isHttpUrl(url)) return link(url, 'full report');
  if (url !== undefined && url !== '') return `the full report at ${codeSpan(url)}`;
  return 'the full report';
}

function itemLine(e: DiffEntry): string {
  const mark = e.status === 'fixed' ? (e.counts ? '✅ ' : '') : e.counts ? '❌ ' : '';
  const cls = e.class === '' ? 'no class' : escapeMarkdown(e.class);
  const place = entryPlace(e);
  const extra = `${e.excluded ? ' · excluded' : ''}${e.carriedFrom !== undefined ? ` · carried over from ${codeSpan(e.carriedFrom)}` : ''}`;
  return `- ${mark}${codeSpan(e.keyword)} · ${cls}${extra}${place ? ` · ${codeSpan(place)}` : ''}: ${escapeMarkdown(clip(e.message, MESSAGE_MAX))}`;
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
  const title = meta.title ?? 'refci QA';

  let head = `## ${ICON[verdict.status]} ${escapeMarkdown(title)}: ${verdict.status}\n\n`;
  head += `${escapeMarkdown(clip(verdict.reason, 2000))}\n\n`;
  const facts: string[] = [];
  if (meta.headSha) facts.push(`checked ${codeSpan(shortSha(meta.headSha))}`);
  if (meta.baseSha) facts.push(`against base ${codeSpan(shortSha(meta.baseSha))}`);
  if (meta.jobId) facts.push(`job ${codeSpan(meta.jobId)}`);
  if (isHttpUrl(meta.reportUrl)) facts.push(link(meta.reportUrl, 'full report'));
  if (facts.length > 0) head += `${facts.join(' · ')}\n`;
  const problemCount = (report.problems?.base.length ?? 0) + (report.problems?.head.length ?? 0);
  if (problemCount > 0) head += `\n${escapeMarkdown(`${plural(problemCount, 'line')} of pkgcheck output could not be read`)}; see ${fullReport(report)}.\n`;
  for (const w of diff.warnings) head += `\n_${escapeMarkdown(clip(w, 500))}_\n`;

  const preCount = diff.preExisting.length;
  const preCounting = diff.preExisting.filter((e) => e.counts).length;
  let tail = `\n### Pre-existing\n\n${plural(preCount, 'finding')} already in the base`;
  tail += preCount > 0 ? ` (${preCounting} would count if new); listed in ${fullReport(report)}.\n` : '.\n';

  // Budget: the head and tail always go in; sections fill what is left, each
  // keeping room for its own "not shown" note.
  const NOTE_ROOM = 400;
  let body = '';
  const budget = (): number => max - head.length - tail.length - body.length - NOTE_ROOM * 2;
  const section = (heading: string, entries: readonly DiffEntry[], what: string): void => {
    const counting = entries.filter((e) => e.counts).length;
    body += `\n### ${heading} (${entries.length}${counting > 0 ? `, ${counting} counting` : ''})\n`;
    if (entries.length === 0) {
      body += '\nNone.\n';
      return;
    }
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
      const restCounting = lines.slice(i).filter((l) => l.entry?.counts).length;
      body += `\n_… ${plural(rest, `more ${what} finding`)} not shown${restCounting > 0 ? ` (${restCounting} counting)` : ''}: the comment is capped at ${max} characters; see ${fullReport(report)}._\n`;
    }
  };
  section('New findings', diff.new, 'new');
  // Right after the new ones: a bump copies the old ebuild's problems, which a
  // reviewer should see even when they do not count.
  if (diff.carriedOver.length > 0) section('Carried over from older versions', diff.carriedOver, 'carried-over');
  section('Fixed', diff.fixed, 'fixed');
  const out = `${head}${body}${tail}`;
  // The budget arithmetic keeps this true; a last guard in case a caller passes a tiny maxLength.
  return out.length <= max ? out : `${out.slice(0, Math.max(0, max - 40))}\n\n_… cut at ${max} characters._\n`;
}

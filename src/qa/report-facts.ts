/**
 * What every comment and report says about the check itself, in the words of a contributor:
 * the heading (an icon and what happened), and at the end the commits checked (full ids as plain
 * text, which the forge links), when, with which tool versions, and links to the pull request and
 * the full report. The QA comment, the error comment and the "nothing to check" comment share
 * it, so they read alike and escape alike. Pure.
 */
import { codeSpan, escapeMarkdown } from './escape.ts';
import { isHttpUrl } from './report-model.ts';

export type CheckStatus = 'success' | 'failure' | 'error';

export const STATUS_ICON: Record<CheckStatus, string> = { success: '✅', failure: '❌', error: '⚠️' };

/** Facts about one check; every field is optional (a report made outside a pull request has few). */
export interface CheckFacts {
  /** The commit checked: the pull request's head. */
  headSha?: string;
  /** The commit it was merged onto. */
  baseSha?: string;
  /** The branch of that commit (`refs/heads/master` or `master`). */
  baseRef?: string;
  /** When the check finished (ISO 8601). */
  checkedAt?: string;
  /** Tool versions, by tool name. */
  tools?: Record<string, string>;
  pr?: number;
  prUrl?: string;
  /** The full report; shown as a link when http(s), as text otherwise. */
  reportUrl?: string;
  /** What was scanned, in one line (collect/scope-line.ts). */
  scope?: string;
  /** Where the base side's scan came from when an earlier job's was reused, in one line (collect/base-scan-line.ts). */
  baseScan?: string;
}

/** `## ❌ 2 new problems`, or with a title `## ❌ pkgcheck: 2 new problems`. */
export function headingLine(status: CheckStatus, text: string, title?: string): string {
  const prefix = title ? `${escapeMarkdown(title)}: ` : '';
  return `## ${STATUS_ICON[status]} ${prefix}${escapeMarkdown(text)}\n`;
}

/** A link destination that cannot break out of its parentheses. */
function destination(url: string): string {
  return url.replace(/[()<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** A Markdown link; the text is escaped. */
export function markdownLink(url: string, text: string): string {
  return `[${escapeMarkdown(text)}](${destination(url)})`;
}

/** Where the full report is, for sentences: a link, the location as code, or just the words. */
export function fullReportRef(url: string | undefined): string {
  if (isHttpUrl(url)) return markdownLink(url, 'full report');
  if (url !== undefined && url !== '') return `the full report at ${codeSpan(url)}`;
  return 'the full report';
}

/** A commit id as plain text (the forge turns a full id into a link); anything else as code. */
export function commitText(sha: string): string {
  return /^[0-9a-f]{7,64}$/i.test(sha) ? sha.toLowerCase() : codeSpan(sha);
}

/** `2025-03-01 10:02 UTC`; the text as given (escaped) when it is no time. */
export function timeText(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMarkdown(iso);
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const branchOf = (ref: string) => ref.replace(/^refs\/heads\//, '');

/** The closing block: a rule, then one short line per fact that is known. */
export function factsBlock(facts: CheckFacts): string {
  const lines: string[] = [];
  if (facts.headSha) {
    let checked = `- Checked: ${commitText(facts.headSha)}`;
    if (facts.baseSha) checked += ` merged onto ${commitText(facts.baseSha)}`;
    if (facts.baseRef) checked += ` (${codeSpan(branchOf(facts.baseRef))})`;
    lines.push(checked);
  }
  if (facts.scope) lines.push(`- Scanned: ${escapeMarkdown(facts.scope)}`);
  if (facts.baseScan) lines.push(`- Base scan: ${escapeMarkdown(facts.baseScan)}`);
  if (facts.checkedAt) lines.push(`- When: ${timeText(facts.checkedAt)}`);
  const tools = Object.entries(facts.tools ?? {})
    .filter(([name, version]) => name !== '' && version !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, version]) => `${name} ${version}`);
  if (tools.length > 0) lines.push(`- Tools: ${escapeMarkdown(tools.join(', '))}`);
  const links: string[] = [];
  if (facts.prUrl && isHttpUrl(facts.prUrl)) {
    // Our own words and a number: inside a link, `#12` refers to nothing else.
    const text = Number.isInteger(facts.pr) ? `pull request #${facts.pr}` : 'pull request';
    links.push(`[${text}](${destination(facts.prUrl)})`);
  }
  if (facts.reportUrl) links.push(fullReportRef(facts.reportUrl));
  if (links.length > 0) lines.push(`- Links: ${links.join(' · ')}`);
  return lines.length > 0 ? `\n---\n${lines.join('\n')}\n` : '';
}

import type { JobDescriptor } from '../protocol/job.ts';
import type { ResultRecord } from '../protocol/result.ts';
import { clip, escapeMarkdown } from '../qa/escape.ts';
import { factsBlock, headingLine } from '../qa/report-facts.ts';
import { checkFacts } from './verdict.ts';

/** The shape of `details.scope` the gentoo pipeline records (src/run/gentoo.ts). */
interface ScopeDetails {
  mode?: unknown;
  targets?: unknown;
  eclasses?: unknown;
  repoLevel?: unknown;
  deleted?: unknown;
  reasons?: unknown;
}

const isEmptyList = (value: unknown) => Array.isArray(value) && value.length === 0;

/**
 * When a pull request's changes map to no package, no eclass, no removed
 * package and no repository-level check, both scans had nothing to look at:
 * "no new errors" would be true and mean nothing. Returns the files the scope
 * could not map (from its reasons), or undefined when there was something to check.
 */
export function nothingToCheck(result: ResultRecord): string[] | undefined {
  const scope = result.details.scope as ScopeDetails | undefined;
  if (!scope || typeof scope !== 'object') return undefined;
  if (scope.mode !== 'targets' || scope.repoLevel !== false) return undefined;
  if (!isEmptyList(scope.targets) || !isEmptyList(scope.eclasses) || !isEmptyList(scope.deleted)) return undefined;
  const reasons = Array.isArray(scope.reasons) ? scope.reasons : [];
  return reasons
    .filter((reason): reason is { target: string; why: string } => typeof reason?.target === 'string' && typeof reason?.why === 'string')
    .map((reason) => `${reason.target}: ${reason.why}`);
}

/** The neutral verdict's one line and its report, in the layout of the other comments. */
export function nothingToCheckDecision(job: JobDescriptor | undefined, files: string[], result?: ResultRecord, reportUrl?: string) {
  const shown = files.slice(0, 5).join('; ');
  const more = files.length > 5 ? `; and ${files.length - 5} more` : '';
  const reason = `nothing to check: no change maps to a package, an eclass or a repository-level check${files.length ? ` (${shown}${more})` : ''}`;
  const lines = [headingLine('success', 'Nothing to check'), 'This pull request changes nothing pkgcheck scans: no package, no eclass, no repository-level file.', ''];
  if (files.length) lines.push('Files not scanned:', '', ...files.slice(0, 200).map((file) => `- ${escapeMarkdown(clip(file, 300))}`), '');
  return { status: 'success' as const, reason, reports: { 'report.md': `${lines.join('\n')}${factsBlock(checkFacts(job, result, reportUrl))}` } };
}

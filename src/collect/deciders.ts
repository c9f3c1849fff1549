import type { FleetConfig } from '../config/types.ts';
import { movesFromDetails } from '../qa/moves.ts';
import { buildQaReport, renderQaReport } from '../qa/run.ts';
import { nothingToCheck, nothingToCheckDecision } from './nothing-to-check.ts';
import { scanSettingsReason } from './scan-settings.ts';
import { unseenPackagesReason } from './unseen-packages.ts';
import { checkFacts, plainDecision, withoutResult, type Decider, type Decision } from './verdict.ts';

/** A list of strings from a result's details, or undefined when it is not one. */
function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/**
 * Packages the pull request changes itself, from the scope the worker recorded: those with a
 * changed or removed file (`changed: …`, `package removed …`), not those scanned because they
 * inherit a changed eclass. Undefined when the result does not say (an older worker).
 */
export function touchedPackages(result: { details: Record<string, unknown> }): string[] | undefined {
  const scope = result.details.scope as { reasons?: unknown } | undefined;
  if (!scope || typeof scope !== 'object' || !Array.isArray(scope.reasons)) return undefined;
  const touched = new Set<string>();
  for (const reason of scope.reasons as Array<{ target?: unknown; why?: unknown }>) {
    if (typeof reason?.target !== 'string' || typeof reason.why !== 'string') continue;
    if (/^[^/\s]+\/[^/\s]+$/.test(reason.target) && /^(changed:|package removed)/.test(reason.why)) touched.add(reason.target);
  }
  for (const version of stringList(result.details.addedVersions) ?? []) {
    const [category, pkg] = version.split('/');
    if (category && pkg) touched.add(`${category}/${pkg}`);
  }
  return [...touched].sort();
}

/** Deciders by pipeline kind; kinds without one use the pipeline's own status. */
export function deciders(config: FleetConfig): Partial<Record<string, Decider>> {
  return { gentoo: qaDecider(config) };
}

/**
 * The gentoo pipeline's verdict: the per-finding diff of the merged tree's
 * pkgcheck findings against the base's. A run that did not finish is an error
 * with the run's own reason; the QA diff is only as good as both scans.
 */
export function qaDecider(config: FleetConfig): Decider {
  return async (input): Promise<Decision> => {
    const { job, result, readArtifact, reportUrl } = input;
    // A run that did not finish is not judged: its own reason, the failed step's last lines.
    if (result.status !== 'success') return plainDecision(input, result.status === 'cancelled' ? 'cancelled' : 'error');
    const unmapped = nothingToCheck(result);
    if (unmapped) return nothingToCheckDecision(job, unmapped, result, reportUrl);
    const unjudged = scanSettingsReason(result) ?? unseenPackagesReason(result);
    if (unjudged) return plainDecision({ ...input, result: { ...result, reason: unjudged } }, 'error');
    const facts = checkFacts(job, result, reportUrl);
    const [head, base, headMessages, baseMessages] = await Promise.all(
      ['outputs/head.jsonl', 'outputs/base.jsonl', 'outputs/head.messages.jsonl', 'outputs/base.messages.jsonl'].map(readArtifact),
    );
    if (head === undefined || base === undefined) {
      return withoutResult(job, 'error', 'the result has no pkgcheck output (outputs/head.jsonl and outputs/base.jsonl)', reportUrl);
    }
    const report = buildQaReport({
      baseText: base.toString('utf8'),
      headText: head.toString('utf8'),
      baseMessagesText: baseMessages?.toString('utf8'),
      headMessagesText: headMessages?.toString('utf8'),
      countWarnings: config.gentoo.countWarnings,
      countCarriedOver: config.gentoo.countCarriedOver,
      newVersions: stringList(result.details.addedVersions),
      classes: config.gentoo.classes,
      excludes: config.gentoo.excludes,
      moves: movesFromDetails(result.details.moves),
      ...facts,
      jobId: result.job,
      touchedPackages: touchedPackages(result),
    });
    return {
      status: report.verdict.status,
      reason: report.verdict.reason,
      reports: {
        'report.md': renderQaReport(report, 'markdown'),
        'report.html': renderQaReport(report, 'html'),
        'qa.json': renderQaReport(report, 'json'),
      },
    };
  };
}

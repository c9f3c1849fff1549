import type { ResultRecord } from '../protocol/result.ts';

/**
 * Why a run the worker finished cannot be judged by this collector's
 * configuration, or undefined when it can. A pipeline gone from the
 * configuration, or one that is now of another kind, would fall to the
 * worker's own status: "all steps passed" for a pkgcheck run whose new
 * findings nobody compared. Only a run that passed is at stake; a failed or
 * stopped one is never published green.
 */
export function unjudgedReason(pipeline: string, kind: string | undefined, result: Pick<ResultRecord, 'status' | 'details'>): string | undefined {
  if (result.status !== 'success') return undefined;
  const fix = `restore pipeline ${pipeline} in the configuration, then run the job again with refci retry`;
  if (kind === undefined) return `pipeline ${pipeline} is not in the collector's configuration, so its result was not judged: ${fix}`;
  // The gentoo pipeline records its scans (src/run/gentoo.ts): only the QA diff judges them.
  if (kind !== 'gentoo' && result.details.scans !== undefined) {
    return `pipeline ${pipeline} ran pkgcheck scans, but the collector's configuration has it as kind ${kind}, which does not compare findings: ${fix}`;
  }
  return undefined;
}

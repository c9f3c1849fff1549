/**
 * pkgcheck's own messages for JsonStream findings. JsonStream carries a
 * result's attributes but not the sentence pkgcheck prints; `pkgcheck replay
 * -R JsonReporter` of the same file prints one line per result, in the same
 * order, with the message and level. The two are zipped here so reports can
 * show the sentence while the finding keys stay built from attributes.
 */
import { coarseKey } from './key.ts';
import type { Finding, ParseResult } from './types.ts';

export interface WithMessages {
  findings: Finding[];
  /** Set when the replay does not line up with the scan; the findings are then returned unchanged. */
  warning?: string;
}

export function withReplayMessages(scan: readonly Finding[], replay: ParseResult, side: string): WithMessages {
  const unchanged = (why: string): WithMessages => ({
    findings: [...scan],
    warning: `the ${side} replay does not match its scan (${why}); findings show their attributes instead of pkgcheck's messages`,
  });
  if (replay.format !== 'JsonReporter' && replay.format !== 'empty') return unchanged(`it is ${replay.format} output, not JsonReporter`);
  if (replay.problems.length > 0) return unchanged(`line ${replay.problems[0]!.line}: ${replay.problems[0]!.message}`);
  if (replay.findings.length !== scan.length) return unchanged(`${replay.findings.length} results for ${scan.length}`);
  const findings: Finding[] = [];
  for (const [i, finding] of scan.entries()) {
    const told = replay.findings[i]!;
    if (coarseKey(told) !== coarseKey(finding)) return unchanged(`result ${i + 1} is ${coarseKey(told)}, the scan has ${coarseKey(finding)}`);
    const described: Finding = { ...finding, description: told.message };
    if (told.level !== undefined && finding.level === undefined) described.level = told.level;
    findings.push(described);
  }
  return { findings };
}

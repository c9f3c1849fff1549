import path from 'node:path';
import { readAuditInput } from '../../coord/audit-input.ts';
import { RefciError } from '../../errors.ts';
import { auditRepository, violationLine, type AuditReport } from '../../protocol/audit.ts';
import { type Command } from '../command.ts';
import { EXIT_CODES } from '../exit-codes.ts';

export const auditCommand: Command = {
  usage: 'refci audit [--quiescent] [--skew SEC] [--json] <coord-repo>',
  help: [
    '<coord-repo>        the coordination repository\'s folder on this host (the bare repository refci init made)',
    '--quiescent         the fleet is stopped and the queue drained: a live job ref left is a violation',
    '--skew SEC          clock skew allowed between hosts when judging leases by commit times',
    '                    (default: the hook\'s, 30 s or a quarter of a shorter lease; 0 when every host shares one clock)',
    '--json              the figures and violations as JSON',
    '',
    'Checks the queue\'s invariants from the repository alone (docs/protocol.md, section 12): every enqueued',
    'job archived exactly once, every lock chain well formed, takeovers only after the lease expired or a',
    'release, no result but the lock holder\'s (or a sweep the protocol allows), nothing published after a',
    'job\'s archive, no live refs left (--quiescent), git fsck clean. Prints one line per violation,',
    '<job>: <rule>: <what>, and exits 1 when there is any.',
  ],
  options: { quiescent: { type: 'boolean' }, skew: { type: 'string' }, json: { type: 'boolean' } },
  async run(flags, positionals, io) {
    if (positionals.length !== 1) throw new RefciError('usage', 'refci audit takes one coordination repository', 'see refci audit --help');
    const target = positionals[0]!;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) || /^[^/]+@[^/]+:/.test(target)) {
      throw new RefciError('usage', `${target} is a URL; refci audit reads the repository's objects (git fsck)`, 'run it on the coordination host with the repository\'s folder');
    }
    const skew = flags.skew;
    if (skew !== undefined && (typeof skew !== 'string' || !/^\d+$/.test(skew))) throw new RefciError('usage', `--skew must be a whole number of seconds, not ${JSON.stringify(skew)}`, 'see refci audit --help');
    const input = await readAuditInput(path.resolve(target), { quiescent: Boolean(flags.quiescent), ...(skew === undefined ? {} : { skewSec: Number(skew) }) });
    const report = auditRepository(input);
    if (flags.json) io.out(JSON.stringify(report, null, 2));
    else for (const line of reportLines(report)) io.out(line);
    return report.violations.length > 0 ? EXIT_CODES.violations : EXIT_CODES.ok;
  },
};

/** The violations, one a line, then the figures. */
export function reportLines(report: AuditReport): string[] {
  const f = report.figures;
  const verdicts = Object.entries(f.verdicts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([verdict, count]) => `${count} ${verdict}`)
    .join(', ');
  const count = report.violations.length;
  return [
    ...report.violations.map(violationLine),
    `jobs: ${f.jobs} enqueued, ${f.archived} archived${verdicts ? ` (${verdicts})` : ''}, ${f.live} live, ${f.leftovers} leftovers cleared`,
    `locks: ${f.claims} claims, ${f.takeovers} takeovers (${f.takeoversAfterRelease} after a release), ${f.releases} releases, ${f.heartbeats} heartbeats`,
    `results: ${f.holderResults} by the lock holder, ${f.closingResults} closing results of sweeps`,
    count === 0 ? 'no violations' : `${count} violation${count === 1 ? '' : 's'}`,
  ];
}

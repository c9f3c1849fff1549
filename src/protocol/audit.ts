import { checkChain, emptyChainFigures, type AuditCommit, type AuditRule, type ChainContext, type ChainFigures, type Violation } from './audit-chain.ts';
import { shortOid } from './messages.ts';
import { parseLiveRef } from './refs.ts';

export { AUDIT_RULES, type AuditCommit, type AuditRecord, type AuditRule, type Violation } from './audit-chain.ts';

/**
 * The queue's invariants, proved from the coordination repository alone
 * (`refci audit`): every enqueued job archived exactly once, every lock chain
 * well formed, no result by anybody but the lock holder (or a sweep the
 * protocol allows), nothing published after a job's archive, no live ref left
 * once the fleet stopped, and a clean `git fsck`. A plain function over what
 * coord/audit-input.ts reads; hand-built histories test it.
 */

/** A commit on the first-parent chain of refs/ci/history, after its root. */
export interface HistoryEntry {
  oid: string;
  /** `archive` (its `Refci-Kind` trailer), `leftovers` (live refs cleared after the archive, section 7), or another commit. */
  kind: 'archive' | 'leftovers' | 'other';
  job?: string;
  /** The archive's `Refci-Verdict`. */
  verdict?: string;
  /** Its parents after the first: the job's live tips when the entry was written. */
  tips: string[];
}

export interface AuditInput extends ChainContext {
  /** Oldest first. */
  history: HistoryEntry[];
  /** Live refs (`refs/ci/jobs|locks|results|cancel/<id>`) and their tips. */
  live: ReadonlyMap<string, string>;
  /** Every commit the entries and live refs reach, and the record commits no ref reaches. */
  commits: ReadonlyMap<string, AuditCommit>;
  /** What `git fsck` found wrong, a line each; empty when it is clean. */
  fsck: readonly string[];
  /** The fleet is stopped and the queue drained: a live ref is a violation. */
  quiescent: boolean;
}

export interface AuditFigures extends ChainFigures {
  /** Job ids enqueued: every job commit the repository holds, and every live job ref. */
  jobs: number;
  archived: number;
  verdicts: Record<string, number>;
  /** History commits that cleared live refs pushed after a job's archive. */
  leftovers: number;
  /** Jobs with live refs. */
  live: number;
  /** Record commits read. */
  commits: number;
}

export interface AuditReport {
  violations: Violation[];
  figures: AuditFigures;
}

export function auditRepository(input: AuditInput): AuditReport {
  const violations: Violation[] = [];
  const say = (job: string | undefined, rule: AuditRule, detail: string) => violations.push({ ...(job === undefined ? {} : { job }), rule, detail });
  const figures: AuditFigures = { ...emptyChainFigures(), jobs: 0, archived: 0, verdicts: {}, leftovers: 0, live: 0, commits: input.commits.size };

  const archives = new Map<string, HistoryEntry[]>();
  for (const entry of input.history) {
    if (entry.kind === 'leftovers') figures.leftovers += 1;
    if (entry.kind !== 'archive' || entry.job === undefined) continue;
    figures.archived += 1;
    if (entry.verdict) figures.verdicts[entry.verdict] = (figures.verdicts[entry.verdict] ?? 0) + 1;
    archives.set(entry.job, [...(archives.get(entry.job) ?? []), entry]);
  }
  for (const [job, entries] of archives) {
    if (entries.length > 1) say(job, 'archived-once', `archived ${entries.length} times: ${entries.map((e) => shortOid(e.oid)).join(', ')}`);
  }

  for (const entry of input.history) {
    if (entry.kind === 'other' || entry.job === undefined) continue;
    const tips = entry.tips.map((oid) => ({ ref: undefined, oid }));
    const top = checkJob(entry.job, tips, input, figures, violations);
    if (entry.kind === 'leftovers' && top?.record?.kind === 'result') {
      say(entry.job, 'result-after-archive', `result ${shortOid(top.oid)}${by(top)} was published after the job was archived (cleared by ${shortOid(entry.oid)})`);
    }
  }

  const liveByJob = new Map<string, { ref: string; oid: string }[]>();
  for (const [ref, oid] of input.live) {
    const parsed = parseLiveRef(ref);
    if (!parsed) continue;
    liveByJob.set(parsed.id, [...(liveByJob.get(parsed.id) ?? []), { ref, oid }]);
  }
  figures.live = liveByJob.size;
  for (const [job, refs] of liveByJob) {
    const top = checkJob(job, refs, input, figures, violations);
    if (archives.has(job) && top?.record?.kind === 'result') {
      say(job, 'result-after-archive', `result ${shortOid(top.oid)}${by(top)} was published after the job was archived (${shortOid(archives.get(job)![0]!.oid)})`);
    }
    if (input.quiescent) for (const { ref, oid } of refs) say(job, 'no-live-refs', `${ref} is left at ${shortOid(oid)} after the fleet stopped`);
  }

  // Enqueued: every job commit the repository holds (reachable or not), and every live job ref.
  const enqueued = new Map<string, string>();
  for (const commit of input.commits.values()) {
    if (commit.record?.kind === 'job' && commit.record.value.ok && !enqueued.has(commit.record.value.value.id)) enqueued.set(commit.record.value.value.id, commit.oid);
  }
  for (const [job, refs] of liveByJob) {
    const jobRef = refs.find(({ ref }) => ref.startsWith('refs/ci/jobs/'));
    if (jobRef && !enqueued.has(job)) enqueued.set(job, jobRef.oid);
  }
  figures.jobs = enqueued.size;
  for (const [job, oid] of enqueued) {
    if (archives.has(job) || liveByJob.has(job)) continue;
    say(job, 'archived', `enqueued (job commit ${shortOid(oid)}) but never archived, and no live ref holds it: its refs were deleted without an archive`);
  }

  for (const line of input.fsck) say(undefined, 'fsck', line);
  violations.sort((a, b) => (a.job ?? '').localeCompare(b.job ?? '') || a.rule.localeCompare(b.rule));
  return { violations, figures };
}

/** One line per violation: the job, the rule, what is wrong. */
export function violationLine(violation: Violation): string {
  return `${violation.job ?? '(repository)'}: ${violation.rule}: ${violation.detail}`;
}

function by(commit: AuditCommit): string {
  const record = commit.record;
  return record?.kind === 'result' && record.value.ok ? ` by ${record.value.value.worker}` : '';
}

/**
 * Checks the refs one job had at one time (an archive's tips, a leftovers
 * entry's, or the live refs): the lock chain from the result (or the lock)
 * down to the job commit. Returns the chain's top commit.
 */
function checkJob(
  id: string,
  tips: { ref?: string; oid: string }[],
  input: AuditInput,
  figures: ChainFigures,
  violations: Violation[],
): AuditCommit | undefined {
  const say = (rule: AuditRule, detail: string) => violations.push({ job: id, rule, detail });
  const kindOf = (oid: string) => input.commits.get(oid)?.record?.kind;
  // A ref's name says what it held; an archive's parents only their records.
  const ofKind = (refKind: string, recordKinds: string[]) =>
    tips.filter(({ ref, oid }) => (ref ? ref.startsWith(`refs/ci/${refKind}/`) : recordKinds.includes(kindOf(oid) ?? '')));
  const results = ofKind('results', ['result']);
  const locks = ofKind('locks', ['lock', 'result']);
  const jobs = ofKind('jobs', ['job']);
  const cancelled = ofKind('cancel', ['cancel']).length > 0;
  const top = results[0] ?? locks[0];
  if (!top) return undefined;
  const chain: AuditCommit[] = [];
  let oid: string | undefined = top.oid;
  let bottom: AuditCommit | undefined;
  const seen = new Set<string>();
  while (oid !== undefined) {
    const commit = input.commits.get(oid);
    if (!commit) {
      say('lock-chain', `the chain from ${shortOid(top.oid)} breaks at ${shortOid(oid)}, which the repository does not hold`);
      return input.commits.get(top.oid);
    }
    const kind = commit.record?.kind;
    if ((kind !== 'lock' && kind !== 'result') || seen.has(oid)) {
      bottom = commit;
      break;
    }
    seen.add(oid);
    chain.unshift(commit);
    oid = commit.parents[0];
  }
  const onChain = new Set(chain.map((commit) => commit.oid));
  for (const tip of [...results, ...locks]) {
    if (!onChain.has(tip.oid)) say('lock-chain', `${tip.ref ?? 'a tip'} at ${shortOid(tip.oid)} is not on the chain of ${shortOid(top.oid)}; a result moves the lock to its own commit`);
  }
  if (!bottom || bottom.record?.kind !== 'job') {
    say('lock-chain', `the chain from ${shortOid(top.oid)} does not start from a job commit${bottom ? ` (it reaches ${shortOid(bottom.oid)})` : ''}`);
    return input.commits.get(top.oid);
  }
  const job = bottom.record.value;
  if (job.ok && job.value.id !== id) say('lock-chain', `the chain starts from the job commit ${shortOid(bottom.oid)} of ${job.value.id}`);
  for (const tip of jobs) {
    if (tip.oid !== bottom.oid) say('lock-chain', `the chain starts from the job commit ${shortOid(bottom.oid)}, but the job was at ${shortOid(tip.oid)}`);
  }
  violations.push(...checkChain({ id, chain, job: bottom, cancelled }, input, figures));
  return input.commits.get(top.oid);
}

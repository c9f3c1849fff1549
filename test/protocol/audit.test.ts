import test from 'ava';
import { auditRepository, violationLine, type AuditCommit, type AuditInput, type HistoryEntry } from '../../src/protocol/audit.ts';
import { newJob, type JobDescriptor } from '../../src/protocol/job.ts';
import type { LockRecord } from '../../src/protocol/lock.ts';
import type { ResultRecord } from '../../src/protocol/result.ts';

/**
 * Hand-built coordination histories for the audit: commits with their
 * records, the history's entries and the live refs, as coord/audit-input.ts
 * would read them. Times are seconds; the lease is 60 s unless said.
 */
const T0 = Date.parse('2026-01-01T00:00:00Z') / 1000;
let counter = 0;
const oid = (label: string) => `${label.replace(/[^0-9a-f]/g, '').padEnd(8, '0').slice(0, 8)}${(++counter).toString(16).padStart(32, '0')}`;

class Repo {
  commits = new Map<string, AuditCommit>();
  history: HistoryEntry[] = [];
  live = new Map<string, string>();
  fsck: string[] = [];

  job(n: number, overrides: Partial<Parameters<typeof newJob>[0]> = {}): { job: JobDescriptor; oid: string } {
    const job = newJob({ repo: 'https://example.org/r.git', base: 'a'.repeat(40), head: n.toString(16).padStart(40, '0'), pipeline: 'check', createdAt: new Date(T0 * 1000).toISOString(), ...overrides });
    const id = oid('0b');
    this.commits.set(id, { oid: id, parents: [], committedSec: T0, author: 'refci enqueue main', record: { kind: 'job', value: { ok: true, value: job } } });
    return { job, oid: id };
  }

  lock(parent: string, job: string, at: number, fields: Partial<LockRecord> & Pick<LockRecord, 'event' | 'worker'>, author = `refci worker ${fields.worker}`): string {
    const record: LockRecord = { version: 1, job, host: 'h', attempt: 1, leaseSec: 60, nonce: 'ab'.repeat(8), at: new Date((T0 + at) * 1000).toISOString(), tools: {}, ...fields };
    const id = oid('10c');
    this.commits.set(id, { oid: id, parents: [parent], committedSec: T0 + at, author, record: { kind: 'lock', value: { ok: true, value: record } } });
    return id;
  }

  result(parent: string, job: string, at: number, fields: Partial<ResultRecord> & Pick<ResultRecord, 'worker'>, author = `refci worker ${fields.worker}`): string {
    const time = new Date((T0 + at) * 1000).toISOString();
    const record: ResultRecord = { version: 1, job, status: 'success', reason: 'ok', attempt: 1, startedAt: time, finishedAt: time, durationMs: 0, tools: {}, steps: [], artifacts: [], sandboxed: false, details: {}, ...fields };
    const id = oid('e5');
    this.commits.set(id, { oid: id, parents: [parent], committedSec: T0 + at, author, record: { kind: 'result', value: { ok: true, value: record } } });
    return id;
  }

  archive(job: string, tips: string[], verdict = 'success'): string {
    const id = oid('a1');
    this.history.push({ oid: id, kind: 'archive', job, verdict, tips });
    return id;
  }

  input(overrides: Partial<AuditInput> = {}): AuditInput {
    return { history: this.history, live: this.live, commits: this.commits, fsck: this.fsck, quiescent: true, leaseSec: 60, queueTimeoutSec: 3600, ...overrides };
  }
}

/** A job claimed by w1, renewed, finished by w1, archived: the common case. */
function finishedJob(repo: Repo, n: number) {
  const { job, oid: jobOid } = repo.job(n);
  const claim = repo.lock(jobOid, job.id, 10, { event: 'claim', worker: 'w1' });
  const beat = repo.lock(claim, job.id, 30, { event: 'heartbeat', worker: 'w1' });
  const result = repo.result(beat, job.id, 40, { worker: 'w1' });
  return { job, jobOid, claim, beat, result };
}

const rules = (input: AuditInput) => auditRepository(input).violations.map((v) => `${v.job ?? '-'} ${v.rule}`);

test('a clean history: claims, heartbeats, a takeover after expiry, a release taken over, sweeps that close jobs', (t) => {
  const repo = new Repo();
  const a = finishedJob(repo, 1);
  repo.archive(a.job.id, [a.result, a.jobOid]);
  // w1 dies; w2 takes over once the lease is over, and publishes.
  const b = repo.job(2);
  const bClaim = repo.lock(b.oid, b.job.id, 10, { event: 'claim', worker: 'w1' });
  const bTake = repo.lock(bClaim, b.job.id, 70, { event: 'takeover', worker: 'w2', attempt: 2, previousWorker: 'w1' });
  const bResult = repo.result(bTake, b.job.id, 80, { worker: 'w2', attempt: 2, status: 'failure' });
  repo.archive(b.job.id, [bResult, b.oid], 'failure');
  // w1 hands back at once (a host problem); w3 takes over without waiting; its lease runs out on the last attempt and a sweep gives up.
  const c = repo.job(3);
  const cClaim = repo.lock(c.oid, c.job.id, 10, { event: 'claim', worker: 'w1' });
  const cRelease = repo.lock(cClaim, c.job.id, 11, { event: 'release', worker: 'w1', reasons: ['pkgcheck missing'] });
  const cTake = repo.lock(cRelease, c.job.id, 12, { event: 'takeover', worker: 'w3', attempt: 2, previousWorker: 'w1' });
  const cTake3 = repo.lock(cTake, c.job.id, 80, { event: 'takeover', worker: 'w2', attempt: 3, previousWorker: 'w3' });
  const cGiveUp = repo.result(cTake3, c.job.id, 150, { worker: 'collector-host', attempt: 3, status: 'error', reason: 'lease of w2 expired on attempt 3 of 3; giving up' });
  repo.archive(c.job.id, [cGiveUp, c.oid], 'error');
  // A queued job cancelled before anybody claimed it: no chain at all.
  const d = repo.job(4);
  repo.archive(d.job.id, [d.oid], 'cancelled');

  const report = auditRepository(repo.input());
  t.deepEqual(report.violations, []);
  t.like(report.figures, { jobs: 4, archived: 4, live: 0, claims: 3, heartbeats: 1, takeovers: 3, takeoversAfterRelease: 1, releases: 1, holderResults: 2, closingResults: 1 });
  t.deepEqual(report.figures.verdicts, { success: 1, failure: 1, error: 1, cancelled: 1 });
});

test('a job archived twice is an archived-once violation naming both archives', (t) => {
  const repo = new Repo();
  const a = finishedJob(repo, 1);
  const first = repo.archive(a.job.id, [a.result, a.jobOid]);
  const second = repo.archive(a.job.id, [a.result, a.jobOid]);
  const report = auditRepository(repo.input());
  t.deepEqual(rules(repo.input()), [`${a.job.id} archived-once`]);
  t.is(violationLine(report.violations[0]!), `${a.job.id}: archived-once: archived 2 times: ${first.slice(0, 12)}, ${second.slice(0, 12)}`);
});

test('a job commit no archive and no live ref reaches is an enqueued job that was never archived', (t) => {
  const repo = new Repo();
  const lost = repo.job(7);
  // Queued, but while the fleet runs: live, not lost.
  const queued = repo.job(8);
  repo.live.set(`refs/ci/jobs/${queued.job.id}`, queued.oid);
  const report = auditRepository(repo.input({ quiescent: false }));
  t.deepEqual(rules(repo.input({ quiescent: false })), [`${lost.job.id} archived`]);
  t.regex(violationLine(report.violations[0]!), new RegExp(`^${lost.job.id}: archived: enqueued \\(job commit ${lost.oid.slice(0, 12)}\\) but never archived`));
  t.is(report.figures.jobs, 2);
});

test('a result by a worker that does not hold the lock is a result-by-holder violation', (t) => {
  const repo = new Repo();
  const { job, oid: jobOid } = repo.job(1);
  const claim = repo.lock(jobOid, job.id, 10, { event: 'claim', worker: 'w1' });
  const forged = repo.result(claim, job.id, 20, { worker: 'w2' });
  repo.archive(job.id, [forged, jobOid]);
  const report = auditRepository(repo.input());
  t.deepEqual(rules(repo.input()), [`${job.id} result-by-holder`]);
  t.regex(report.violations[0]!.detail, /success result \S+ by w2 \(attempt 1\), but the lock was held by w1 \(attempt 1, claim \S+\); only the holder publishes a success result/);
});

test('a result whose author is not the worker it names, or of another attempt, is not the holder\'s', (t) => {
  const repo = new Repo();
  const a = repo.job(1);
  const claim = repo.lock(a.oid, a.job.id, 10, { event: 'claim', worker: 'w1' });
  repo.archive(a.job.id, [repo.result(claim, a.job.id, 20, { worker: 'w1' }, 'refci worker w2'), a.oid]);
  const b = repo.job(2);
  const bClaim = repo.lock(b.oid, b.job.id, 10, { event: 'claim', worker: 'w1' });
  repo.archive(b.job.id, [repo.result(bClaim, b.job.id, 20, { worker: 'w1', attempt: 2 }), b.oid]);
  const violations = auditRepository(repo.input()).violations;
  t.deepEqual(violations.map((v) => v.job).sort(), [a.job.id, b.job.id].sort());
  t.true(violations.every((v) => v.rule === 'result-by-holder'));
  t.true(violations.some((v) => /written by "refci worker w2", not by w1/.test(v.detail)));
});

test('a sweep\'s closing result within the holder\'s lease is a result-by-holder violation; after a release or on a malformed job it is in order', (t) => {
  const repo = new Repo();
  const early = repo.job(1);
  const claim = repo.lock(early.oid, early.job.id, 10, { event: 'claim', worker: 'w1' });
  repo.archive(early.job.id, [repo.result(claim, early.job.id, 30, { worker: 'w2', status: 'error', reason: 'giving up' }), early.oid], 'error');
  const released = repo.job(2);
  const rClaim = repo.lock(released.oid, released.job.id, 10, { event: 'claim', worker: 'w1', attempt: 1 });
  const rRelease = repo.lock(rClaim, released.job.id, 11, { event: 'release', worker: 'w1', reasons: ['no sandbox'] });
  repo.archive(released.job.id, [repo.result(rRelease, released.job.id, 12, { worker: 'w2', status: 'error' }), released.oid], 'error');
  // A malformed job (its record cannot be read) is set aside with the lock on it, at once.
  const malformedOid = oid('0b');
  repo.commits.set(malformedOid, { oid: malformedOid, parents: [], committedSec: T0, author: 'someone', record: { kind: 'job', value: { ok: false, reason: 'job.json field head: must be a full commit id' } } });
  const mClaim = repo.lock(malformedOid, 'broken-1', 10, { event: 'claim', worker: 'w1' });
  repo.archive('broken-1', [repo.result(mClaim, 'broken-1', 11, { worker: 'w2', status: 'error', attempt: 0 }), malformedOid], 'error');
  // Nobody claimed it: an error only after queueTimeoutSec.
  const queued = repo.job(4);
  repo.archive(queued.job.id, [repo.result(queued.oid, queued.job.id, 600, { worker: 'w3', status: 'error', attempt: 0 }), queued.oid], 'error');
  const violations = auditRepository(repo.input()).violations;
  t.deepEqual(violations.map((v) => `${v.job} ${v.rule}`).sort(), [`${early.job.id} result-by-holder`, `${queued.job.id} result-by-holder`].sort());
  t.regex(violations.find((v) => v.job === early.job.id)!.detail, /came 20s after the claim \S+ of w1 \(attempt 1\), within its 60s lease \(15s of clock skew allowed\)/);
  t.regex(violations.find((v) => v.job === queued.job.id)!.detail, /on a job nobody had claimed, 600s after it was enqueued \(queueTimeoutSec 3600\)/);
});

test('a takeover before the lease expired is a takeover-after-expiry violation; the clock skew allowed decides the margin', (t) => {
  const repo = new Repo();
  const { job, oid: jobOid } = repo.job(1);
  const claim = repo.lock(jobOid, job.id, 10, { event: 'claim', worker: 'w1' });
  // 50 s after a 60 s lease's last commit: within the hook's 15 s of skew, early when hosts share one clock.
  const take = repo.lock(claim, job.id, 60, { event: 'takeover', worker: 'w2', attempt: 2, previousWorker: 'w1' });
  repo.archive(job.id, [repo.result(take, job.id, 70, { worker: 'w2', attempt: 2 }), jobOid]);
  t.deepEqual(rules(repo.input()), []);
  const strict = auditRepository(repo.input({ skewSec: 0 }));
  t.deepEqual(strict.violations.map((v) => v.rule), ['takeover-after-expiry']);
  t.regex(violationLine(strict.violations[0]!), /: takeover-after-expiry: takeover \S+ by w2 \(attempt 2\) came 50s after the claim \S+ of w1 \(attempt 1\), within its 60s lease \(0s of clock skew allowed\)$/);
  // 20 s is early whatever the skew.
  const other = new Repo();
  const o = other.job(2);
  const oClaim = other.lock(o.oid, o.job.id, 10, { event: 'claim', worker: 'w1' });
  other.archive(o.job.id, [other.lock(oClaim, o.job.id, 30, { event: 'takeover', worker: 'w2', attempt: 2 }), o.oid], 'cancelled');
  t.deepEqual(rules(other.input()), [`${o.job.id} takeover-after-expiry`]);
});

test('malformed lock chains: a heartbeat by another worker, a chain without a claim, wrong attempts, a move after the result', (t) => {
  const repo = new Repo();
  const details = (id: string) => auditRepository(repo.input()).violations.filter((v) => v.job === id).map((v) => `${v.rule}: ${v.detail}`);

  const a = repo.job(1);
  const aClaim = repo.lock(a.oid, a.job.id, 10, { event: 'claim', worker: 'w1' });
  const aBeat = repo.lock(aClaim, a.job.id, 20, { event: 'heartbeat', worker: 'w2' });
  repo.archive(a.job.id, [repo.result(aBeat, a.job.id, 30, { worker: 'w2' }), a.oid]);

  const b = repo.job(2);
  const bBeat = repo.lock(b.oid, b.job.id, 10, { event: 'heartbeat', worker: 'w1' });
  repo.archive(b.job.id, [repo.result(bBeat, b.job.id, 20, { worker: 'w1' }), b.oid]);

  const c = repo.job(3);
  const cClaim = repo.lock(c.oid, c.job.id, 10, { event: 'claim', worker: 'w1', attempt: 2 });
  const cTake = repo.lock(cClaim, c.job.id, 100, { event: 'takeover', worker: 'w2', attempt: 4, previousWorker: 'w9' });
  repo.archive(c.job.id, [repo.result(cTake, c.job.id, 110, { worker: 'w2', attempt: 4 }), c.oid]);

  const d = repo.job(4);
  const dClaim = repo.lock(d.oid, d.job.id, 10, { event: 'claim', worker: 'w1' });
  const dResult = repo.result(dClaim, d.job.id, 20, { worker: 'w1' });
  const dAfter = repo.lock(dResult, d.job.id, 30, { event: 'heartbeat', worker: 'w1' });
  repo.archive(d.job.id, [dAfter, d.oid]);

  const e = repo.job(5);
  const eClaim = repo.lock(e.oid, e.job.id, 10, { event: 'claim', worker: 'w1' });
  const eRelease = repo.lock(eClaim, e.job.id, 11, { event: 'release', worker: 'w1', reasons: ['x'] });
  const eBeat = repo.lock(eRelease, e.job.id, 12, { event: 'heartbeat', worker: 'w1' });
  repo.archive(e.job.id, [eBeat, e.oid], 'cancelled');

  t.true(details(a.job.id).some((line) => /^lock-chain: heartbeat \S+ by w2 \(attempt 1\), but the lock was held by w1 \(attempt 1, claim \S+\); only the holder renews or releases it$/.test(line)));
  t.true(details(b.job.id).some((line) => /^lock-chain: the chain starts with a heartbeat \S+ by w1 \(attempt 1\), not with a claim$/.test(line)));
  t.deepEqual(
    details(c.job.id).map((line) => line.replace(/ [0-9a-f]{12}/g, ' <oid>')),
    [
      'lock-chain: claim <oid> by w1 (attempt 2): a claim is attempt 1',
      'lock-chain: takeover <oid> by w2 (attempt 4) says it takes over from w9, but the lock was held by w1 (attempt 2, claim <oid>)',
      'lock-chain: takeover <oid> by w2 (attempt 4) follows attempt 2; a takeover is the next attempt, 3',
    ],
  );
  t.true(details(d.job.id).some((line) => /^lock-chain: \S+ comes after the result \S+; a finished job's lock does not move$/.test(line)));
  t.true(details(e.job.id).some((line) => /after a release only a takeover or a closing result moves the lock/.test(line)));
});

test('live refs left after the fleet stopped are no-live-refs violations; while it runs they are live jobs, their chains checked', (t) => {
  const repo = new Repo();
  const a = finishedJob(repo, 1);
  repo.live.set(`refs/ci/jobs/${a.job.id}`, a.jobOid);
  repo.live.set(`refs/ci/locks/${a.job.id}`, a.result);
  repo.live.set(`refs/ci/results/${a.job.id}`, a.result);
  const b = repo.job(2);
  const early = repo.lock(repo.lock(b.oid, b.job.id, 10, { event: 'claim', worker: 'w1' }), b.job.id, 12, { event: 'takeover', worker: 'w2', attempt: 2 });
  repo.live.set(`refs/ci/jobs/${b.job.id}`, b.oid);
  repo.live.set(`refs/ci/locks/${b.job.id}`, early);
  // Refs that are not a job's are not live refs.
  repo.live.set('refs/ci/jobs/a/b', b.oid);

  const running = auditRepository(repo.input({ quiescent: false }));
  t.deepEqual(running.violations.map((v) => `${v.job} ${v.rule}`), [`${b.job.id} takeover-after-expiry`]);
  t.is(running.figures.live, 2);
  const stopped = auditRepository(repo.input({ quiescent: true }));
  const left = stopped.violations.filter((v) => v.rule === 'no-live-refs');
  t.is(left.length, 5);
  t.true(left.some((v) => violationLine(v) === `${a.job.id}: no-live-refs: refs/ci/results/${a.job.id} is left at ${a.result.slice(0, 12)} after the fleet stopped`));
});

test('a result in the refs cleared after a job\'s archive is a result-after-archive violation; a claim given back there is not', (t) => {
  const repo = new Repo();
  const a = finishedJob(repo, 1);
  repo.archive(a.job.id, [a.result, a.jobOid]);
  // A claim that won after the archive (its worker died before giving it back): cleared, in order.
  const late = repo.lock(a.jobOid, a.job.id, 50, { event: 'claim', worker: 'w2' });
  repo.history.push({ oid: oid('1e'), kind: 'leftovers', job: a.job.id, tips: [late] });
  t.deepEqual(rules(repo.input()), []);
  // The same claim, and a result published on it.
  const published = repo.result(late, a.job.id, 60, { worker: 'w2' });
  repo.history.push({ oid: oid('1e'), kind: 'leftovers', job: a.job.id, tips: [published] });
  const violations = auditRepository(repo.input()).violations;
  t.deepEqual(violations.map((v) => v.rule), ['result-after-archive']);
  t.regex(violations[0]!.detail, /^result \S+ by w2 was published after the job was archived \(cleared by \S+\)$/);
  t.is(auditRepository(repo.input()).figures.leftovers, 2);
});

test('a chain that does not reach its job commit, or reaches another job\'s, is malformed', (t) => {
  const repo = new Repo();
  const a = repo.job(1);
  const b = repo.job(2);
  const claim = repo.lock(b.oid, a.job.id, 10, { event: 'claim', worker: 'w1' });
  repo.archive(a.job.id, [repo.result(claim, a.job.id, 20, { worker: 'w1' }), a.oid]);
  const missing = repo.job(3);
  const broken = repo.lock('f'.repeat(40), missing.job.id, 10, { event: 'claim', worker: 'w1' });
  repo.archive(missing.job.id, [broken, missing.oid], 'cancelled');
  repo.archive(b.job.id, [b.oid], 'cancelled');
  const lines = auditRepository(repo.input()).violations.map(violationLine).map((line) => line.replace(/\b[0-9a-f]{12}\b/g, '<oid>'));
  t.true(lines.includes(`${a.job.id}: lock-chain: the chain starts from the job commit <oid> of ${b.job.id}`));
  t.true(lines.includes(`${a.job.id}: lock-chain: the chain starts from the job commit <oid>, but the job was at <oid>`));
  t.true(lines.includes(`${missing.job.id}: lock-chain: the chain from <oid> breaks at <oid>, which the repository does not hold`));
});

test('git fsck problems are violations of the repository as a whole', (t) => {
  const repo = new Repo();
  repo.fsck.push('missing blob 0123456789abcdef0123456789abcdef01234567');
  const report = auditRepository(repo.input());
  t.deepEqual(report.violations.map(violationLine), ['(repository): fsck: missing blob 0123456789abcdef0123456789abcdef01234567']);
});

import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { planEnqueue } from '../../src/enqueue/plan.ts';
import { JOB, newJob, type JobDescriptor } from '../../src/protocol/job.ts';
import { decodeAs, encodeAs, messageOf } from '../../src/protocol/record-kind.ts';
import { historyShard, isValidJobId, jobIdFor, normaliseRepoUrl } from '../../src/protocol/ids.ts';
import { heartbeatIntervalMs, isLeaseExpired, observeLocks } from '../../src/protocol/lease.ts';
import { LOCK, type LockRecord } from '../../src/protocol/lock.ts';
import { oneLine } from '../../src/protocol/messages.ts';
import { parseLiveRef, liveRefspecs } from '../../src/protocol/refs.ts';
import { countByState, stateOf, type LiveJob, type Snapshot } from '../../src/protocol/snapshot.ts';
import { orderForClaim, planSweep } from '../../src/protocol/sweep.ts';
import { expandArgv } from '../../src/run/template.ts';
import { CappedBuffer } from '../../src/host/capped-buffer.ts';
import { ROOT } from '../helpers/cli.ts';

const base = 'b'.repeat(40);
const head = 'c'.repeat(40);
const job = (overrides: Partial<Parameters<typeof newJob>[0]> = {}): JobDescriptor =>
  newJob({ repo: 'https://github.com/gentoo/gentoo.git', base, head, pipeline: 'gentoo', pr: 12, createdAt: '2026-01-01T00:00:00Z', ...overrides });
const ok = <T>(value: T) => ({ ok: true as const, value });
const lock = (overrides: Partial<LockRecord> = {}): LockRecord => ({
  version: 1,
  job: 'x',
  event: 'claim',
  worker: 'w1',
  host: 'h',
  attempt: 1,
  leaseSec: 60,
  nonce: 'ab'.repeat(8),
  at: '2026-01-01T00:00:00Z',
  tools: {},
  ...overrides,
});
function live(descriptor: JobDescriptor, extra: Partial<LiveJob> = {}): LiveJob {
  return { id: descriptor.id, job: { oid: `job-${descriptor.id}`, record: ok(descriptor) }, ...extra };
}
const snapshotOf = (...jobs: LiveJob[]): Snapshot => new Map(jobs.map((j) => [j.id, j]));

test('ids are deterministic, differ by what defines a job, and survive URL spellings', (t) => {
  const a = jobIdFor({ repo: 'https://github.com/gentoo/gentoo.git', head, pipeline: 'gentoo', pr: 12 });
  t.is(a, jobIdFor({ repo: 'https://token@github.com/Gentoo/gentoo/', head, pipeline: 'gentoo', pr: 12 }));
  t.not(a, jobIdFor({ repo: 'https://github.com/gentoo/gentoo.git', head, pipeline: 'other', pr: 12 }));
  t.not(a, jobIdFor({ repo: 'https://github.com/gentoo/gentoo.git', head, pipeline: 'gentoo', pr: 12, retry: 1 }));
  t.regex(a, /^pr12-[0-9a-f]{16}$/);
  t.true(isValidJobId(a));
  t.false(isValidJobId('../etc'));
  t.false(isValidJobId(''));
  t.is(normaliseRepoUrl('HTTPS://x.org/a.git/'), 'https://x.org/a');
  t.regex(historyShard(a), /^[0-9a-f]{2}$/);
});

test('a job round-trips through its codec and gets defaults', (t) => {
  const j = job();
  const decoded = decodeAs(JOB, encodeAs(JOB, j));
  t.true(decoded.ok);
  if (decoded.ok) t.deepEqual(decoded.value, j);
  const minimal = decodeAs(JOB, JSON.stringify({ version: 1, id: 'manual-1', repo: '/r', base, head, pipeline: 'p', createdAt: '2026-01-01T00:00:00Z' }));
  t.true(minimal.ok);
  if (minimal.ok) {
    t.is(minimal.value.maxAttempts, 3);
    t.is(minimal.value.priority, 0);
    t.is(minimal.value.mergeBasis, 'base');
  }
});

test('malformed records give one reason naming the file and the field', (t) => {
  const reason = (text: string) => {
    const d = decodeAs(JOB, text);
    return d.ok ? 'ok' : d.reason;
  };
  t.regex(reason('{'), /^job\.json is not valid JSON/);
  t.regex(reason('[]'), /must hold a JSON object/);
  t.regex(reason('{"version": 2}'), /version 2, this refci reads version 1/);
  t.regex(reason(JSON.stringify({ ...job(), head: 'HEAD' })), /field head: must be a full commit id/);
  t.regex(reason(JSON.stringify({ ...job(), surprise: 1 })), /Unrecognized key|surprise/);
  t.regex(reason(JSON.stringify({ ...job(), repo: 'a\u0000b' })), /control characters/);
  t.regex(reason(JSON.stringify({ ...job(), prUrl: 'x'.repeat(70_000) })), /more than the limit/);
  const badLock = decodeAs(LOCK, JSON.stringify({ ...lock(), nonce: 'short' }));
  t.false(badLock.ok);
});

test('newJob refuses a bad field with an invalid-input error', (t) => {
  const error = t.throws(() => job({ head: 'nope' }));
  t.regex(error!.message, /job field head/);
});

test('states come from which refs exist', (t) => {
  const j = job();
  const lockEntry = { oid: 'l1', record: ok(lock({ job: j.id })) };
  const cancel = { oid: 'c1', record: ok({ version: 1 as const, job: j.id, reason: 'x', by: 'me', at: '2026-01-01T00:00:00Z' }) };
  const result = { oid: 'r1', record: { ok: false as const, reason: 'whatever' } };
  t.is(stateOf(live(j)), 'queued');
  t.is(stateOf(live(j, { lock: lockEntry })), 'running');
  t.is(stateOf(live(j, { lock: lockEntry, cancel })), 'cancelling');
  t.is(stateOf(live(j, { cancel })), 'cancelled');
  t.is(stateOf(live(j, { lock: lockEntry, result })), 'finished');
  t.is(stateOf({ id: 'x', job: { oid: 'j', record: { ok: false, reason: 'bad' } } }), 'malformed');
  t.is(stateOf({ id: 'x', lock: lockEntry }), 'orphan');
  t.is(countByState(snapshotOf(live(j), live(job({ pr: 13 }), { lock: lockEntry }))).running, 1);
});

test('a lease expires only after its tip stayed unchanged for the lease on the observer clock', (t) => {
  let seen = observeLocks({}, new Map([['a', 't1']]), 1000);
  t.false(isLeaseExpired(seen.a, 60, 1000 + 59_999));
  t.true(isLeaseExpired(seen.a, 60, 1000 + 60_000));
  seen = observeLocks(seen, new Map([['a', 't2']]), 50_000);
  t.is(seen.a.firstSeenMs, 50_000, 'a heartbeat restarts the count');
  t.false(isLeaseExpired(seen.a, 60, 100_000));
  seen = observeLocks(seen, new Map(), 200_000);
  t.deepEqual(seen, {}, 'locks that are gone are forgotten');
  const clockWentBack = observeLocks({ a: { tip: 't', firstSeenMs: 5000 } }, new Map([['a', 't']]), 1000);
  t.is(clockWentBack.a.firstSeenMs, 1000, 'an observer clock that went back starts counting anew');
  t.false(isLeaseExpired(undefined, 60, 1e12), 'never seen, never stale');
  t.is(heartbeatIntervalMs(300), 100_000);
});

test('the sweep claims queued jobs, takes over stale locks, gives up after the attempts and sets malformed jobs aside', (t) => {
  const queued = job({ pr: 1 });
  const stale = job({ pr: 2 });
  const exhausted = job({ pr: 3, maxAttempts: 2 });
  const fresh = job({ pr: 4 });
  const cancelling = job({ pr: 5 });
  const cancel = { oid: 'c', record: ok({ version: 1 as const, job: cancelling.id, reason: 'x', by: 'me', at: '2026-01-01T00:00:00Z' }) };
  const snapshot = snapshotOf(
    live(queued),
    live(stale, { lock: { oid: 's', record: ok(lock({ job: stale.id, worker: 'dead' })) } }),
    live(exhausted, { lock: { oid: 'e', record: ok(lock({ job: exhausted.id, attempt: 2 })) } }),
    live(fresh, { lock: { oid: 'f', record: ok(lock({ job: fresh.id })) } }),
    live(cancelling, { lock: { oid: 'k', record: ok(lock({ job: cancelling.id })) }, cancel }),
    { id: 'broken', job: { oid: 'b', record: { ok: false, reason: 'job.json is not valid JSON' } } },
  );
  const seen = {
    [stale.id]: { tip: 's', firstSeenMs: 0 },
    [exhausted.id]: { tip: 'e', firstSeenMs: 0 },
    [fresh.id]: { tip: 'f', firstSeenMs: 50_000 },
    [cancelling.id]: { tip: 'k', firstSeenMs: 0 },
  };
  const plan = planSweep({ snapshot, seen, nowMs: 61_000, defaultLeaseSec: 60 });
  const claims = Object.fromEntries(plan.claimable.map((c) => [c.id, c]));
  t.deepEqual(Object.keys(claims).sort(), [queued.id, stale.id].sort());
  t.is(claims[queued.id].expect, null);
  t.is(claims[stale.id].expect, 's');
  t.is(claims[stale.id].attempt, 2);
  t.is(claims[stale.id].previousWorker, 'dead');
  const actions = Object.fromEntries(plan.actions.map((a) => [a.id, a]));
  t.is(actions[exhausted.id].kind, 'expire');
  t.regex(actions[exhausted.id].reason, /expired on attempt 2 of 2/);
  t.is(actions[cancelling.id].kind, 'finish-cancelled');
  t.is(actions.broken.kind, 'reject');
  t.regex(actions.broken.reason, /^malformed job: job\.json is not valid JSON/);
  t.false(fresh.id in claims || fresh.id in actions);
});

test('a released lock is claimable at once as the next attempt, and given up with the host problems once the attempts are used', (t) => {
  const released = job({ pr: 6 });
  const last = job({ pr: 7, maxAttempts: 2 });
  const why = 'CI infrastructure problem: step regen could not start pmaint: spawn pmaint ENOENT';
  const release = (j: JobDescriptor, attempt: number) => ok(lock({ job: j.id, event: 'release', worker: 'w1', attempt, reasons: [why] }));
  const snapshot = snapshotOf(live(released, { lock: { oid: 'r', record: release(released, 1) } }), live(last, { lock: { oid: 'l', record: release(last, 2) } }));
  // Just seen: no lease has run out, and none needs to.
  const seen = { [released.id]: { tip: 'r', firstSeenMs: 1000 }, [last.id]: { tip: 'l', firstSeenMs: 1000 } };
  const plan = planSweep({ snapshot, seen, nowMs: 1000, defaultLeaseSec: 60 });
  t.like(plan.claimable[0], { id: released.id, attempt: 2, expect: 'r', previousWorker: 'w1', infrastructure: [why] });
  t.is(plan.claimable.length, 1);
  t.like(plan.actions[0], { kind: 'expire', id: last.id, lockOid: 'l', attempt: 2 });
  t.is(plan.actions[0].reason, 'CI infrastructure problem: step regen could not start pmaint: spawn pmaint ENOENT (attempt 2 of 2; giving up, the pull request was not judged)');
  const record = lock({ job: released.id, event: 'release', worker: 'w1', reasons: [why] });
  const decoded = decodeAs(LOCK, encodeAs(LOCK, record));
  t.true(decoded.ok, 'a release record passes the lock schema');
  t.regex(messageOf(LOCK, record), /^release pr6-\w+ by w1, attempt 1: CI infrastructure problem: step regen/);
});

test('the sweep gives up on a job queued past queueTimeoutSec, and sets aside a malformed job that has a lock', (t) => {
  const old = job({ pr: 1, createdAt: '2026-01-01T00:00:00Z' });
  const young = job({ pr: 2, createdAt: '2026-01-01T23:00:00Z' });
  const snapshot = snapshotOf(live(old), live(young), {
    id: 'broken',
    job: { oid: 'b', record: { ok: false, reason: 'job.json is not valid JSON' } },
    lock: { oid: 'l', record: ok(lock({ job: 'broken' })) },
  });
  const nowMs = Date.parse('2026-01-02T00:00:00Z');
  const plan = planSweep({ snapshot, seen: {}, nowMs, defaultLeaseSec: 60, queueTimeoutSec: 24 * 3600 });
  t.deepEqual(plan.claimable.map((c) => c.id), [young.id]);
  const actions = Object.fromEntries(plan.actions.map((a) => [a.id, a]));
  t.is(actions[old.id].kind, 'give-up-queued');
  t.regex(actions[old.id].reason, /^queued for more than 24 h \(queueTimeoutSec\) without a worker taking it; check that a worker serves pipeline gentoo/);
  t.deepEqual(actions.broken, { kind: 'reject', id: 'broken', reason: 'malformed job: job.json is not valid JSON', lockOid: 'l' });
  // Without a limit, a queued job waits for ever.
  t.is(planSweep({ snapshot, seen: {}, nowMs, defaultLeaseSec: 60 }).claimable.length, 2);
});

test('claim order: priority, then age, then id', (t) => {
  const old = job({ pr: 1, createdAt: '2026-01-01T00:00:00Z' });
  const young = job({ pr: 2, createdAt: '2026-01-02T00:00:00Z' });
  const urgent = job({ pr: 3, createdAt: '2026-01-03T00:00:00Z', priority: 10 });
  const order = orderForClaim([young, old, urgent].map((j) => ({ id: j.id, job: j, jobOid: 'x', attempt: 1, expect: null })));
  t.deepEqual(order.map((c) => c.job.pr), [3, 1, 2]);
});

test('enqueue plans skip what is queued or archived and supersede older jobs of the same PR', (t) => {
  const older = job({ head: 'd'.repeat(40) });
  const running = job({ pr: 12, head: 'e'.repeat(40), pipeline: 'other' });
  const snapshot = snapshotOf(live(older), live(running));
  const wanted = job();
  const plan = planEnqueue({ wanted: [wanted, wanted, older], snapshot, isArchived: () => false, by: 'main', nowIso: '2026-01-02T00:00:00Z' });
  t.deepEqual(plan.create.map((j) => j.id), [wanted.id]);
  t.deepEqual(plan.cancel.map((c) => c.job), [older.id], 'same PR, same pipeline only');
  t.is(plan.cancel[0].supersededBy, wanted.id);
  t.regex(plan.skipped[0].why, /already queued/);
  const archived = planEnqueue({ wanted: [wanted], snapshot: new Map(), isArchived: () => true, by: 'main', nowIso: '2026-01-02T00:00:00Z' });
  t.regex(archived.skipped[0].why, /already ran and is archived; use refci retry/);
});

test('refs, messages, templates and capped output', (t) => {
  t.deepEqual(parseLiveRef('refs/ci/locks/pr1-ab'), { kind: 'locks', id: 'pr1-ab' });
  t.is(parseLiveRef('refs/heads/main'), undefined);
  t.true(liveRefspecs({ history: true }).includes('+refs/ci/history*:refs/ci/history*'));
  const takeover = lock({ job: 'j', event: 'takeover', attempt: 2, previousWorker: 'w0' });
  t.is(LOCK.subject(takeover), 'takeover j by w1 from w0, attempt 2, lease 60s');
  // Programs read the trailers, never the subject.
  t.is(
    messageOf(LOCK, takeover),
    'takeover j by w1 from w0, attempt 2, lease 60s\n\nRefci-Kind: lock\nRefci-Job: j\nRefci-Event: takeover\nRefci-Worker: w1\nRefci-Attempt: 2',
  );
  t.is(oneLine('a\n  b', 10), 'a b');
  t.deepEqual(expandArgv(['pkgcheck', '{targets}', '--jobs={jobs}', '{unknown}'], { targets: ['a/b', 'c/d'], jobs: '2' }), [
    'pkgcheck',
    'a/b',
    'c/d',
    '--jobs=2',
    '{unknown}',
  ]);
  const buffer = new CappedBuffer(4);
  buffer.push(Buffer.from('abcdef'));
  t.true(buffer.truncated);
  t.is(buffer.contents().toString(), 'ab\n[refci: ... 2 of 6 bytes cut ...]\nef', 'the head and the tail survive');
});

test('the protocol core and the QA core import no I/O', (t) => {
  for (const dir of ['src/protocol', 'src/qa']) {
    for (const file of fs.readdirSync(path.join(ROOT, dir))) {
      const text = fs.readFileSync(path.join(ROOT, dir, file), 'utf8');
      t.notRegex(text, /from 'node:(fs|child_process|net|http|https|os)|from 'execa'|from 'simple-git'|from 'isomorphic-git'/, `${dir}/${file}`);
    }
  }
});

test('the plan says when time alone changes it next: the earliest lease that can run out, or a queued job reaching its timeout', (t) => {
  const a = job({ pr: 21 });
  const b = job({ pr: 22 });
  const snapshot = snapshotOf(
    live(a, { lock: { oid: 'a', record: ok(lock({ job: a.id, leaseSec: 30 })) } }),
    live(b, { lock: { oid: 'b', record: ok(lock({ job: b.id, leaseSec: 60 })) } }),
  );
  const seen = { [a.id]: { tip: 'a', firstSeenMs: 10_000 }, [b.id]: { tip: 'b', firstSeenMs: 0 } };
  t.is(planSweep({ snapshot, seen, nowMs: 20_000, defaultLeaseSec: 300 }).nextChangeMs, 40_000, "a's 30 s lease, first seen at 10 s");
  const afterA = planSweep({ snapshot, seen, nowMs: 45_000, defaultLeaseSec: 300 });
  t.is(afterA.claimable[0]?.id, a.id, 'a is stale now');
  t.is(afterA.nextChangeMs, 60_000, "then b's");
  t.is(planSweep({ snapshot: snapshotOf(), seen: {}, nowMs: 0, defaultLeaseSec: 60 }).nextChangeMs, undefined, 'nothing waits on time');

  const queued = job({ pr: 23, createdAt: '2026-01-01T00:00:00Z' });
  const createdMs = Date.parse('2026-01-01T00:00:00Z');
  const plan = planSweep({ snapshot: snapshotOf(live(queued)), seen: {}, nowMs: createdMs + 1000, defaultLeaseSec: 60, queueTimeoutSec: 3600 });
  t.is(plan.nextChangeMs, createdMs + 3_600_000);
  t.is(planSweep({ snapshot: snapshotOf(live(queued)), seen: {}, nowMs: createdMs + 1000, defaultLeaseSec: 60 }).nextChangeMs, undefined, 'no queue timeout');
});

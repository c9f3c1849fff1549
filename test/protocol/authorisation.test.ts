/**
 * The authorisation rules of the coordination repository (docs/protocol.md,
 * Authorisation), in process: records made up in memory, read through the
 * same AuthReader interface the hook implements over git.
 */
import test from 'ava';
import {
  authorise,
  clockSkewMs,
  refTarget,
  type AuthPolicy,
  type AuthReader,
  type CommitFacts,
  type FileRead,
  type RefUpdateLine,
} from '../../src/protocol/authorisation.ts';
import type { TreeFile } from '../../src/protocol/record-limits.ts';
import { parsePusher, pusherFromEnv, type Pusher } from '../../src/protocol/pusher.ts';
import { parseReceiveLines } from '../../src/protocol/receive-lines.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const sec = (ms: number) => Math.floor(ms / 1000);

type FileSpec = string | { size: number } | { mode: string };
interface FakeCommit {
  type: 'commit';
  parents: string[];
  committedSec: number;
  files: Record<string, FileSpec>;
}

/** An in-memory repository: commits with files, refs as they are before the push, configuration verdicts. */
class FakeRepo {
  private next = 1;
  readonly objects = new Map<string, FakeCommit | { type: 'blob' | 'tree' | 'tag' }>();
  readonly refs = new Map<string, string>();
  readonly badConfigs = new Map<string, string>();

  private oid(): string {
    return (this.next++).toString(16).padStart(40, '0');
  }

  commit(files: Record<string, FileSpec>, parents: string[] = [], timeMs = NOW): string {
    const oid = this.oid();
    this.objects.set(oid, { type: 'commit', parents, committedSec: sec(timeMs), files });
    return oid;
  }

  object(type: 'blob' | 'tree' | 'tag'): string {
    const oid = this.oid();
    this.objects.set(oid, { type });
    return oid;
  }

  async type(oid: string) {
    return this.objects.get(oid)?.type ?? 'missing';
  }
  private commitOf(oid: string): FakeCommit {
    const object = this.objects.get(oid);
    if (object?.type !== 'commit') throw new Error(`${oid} is not a commit`);
    return object;
  }
  async commitFacts(oid: string): Promise<CommitFacts> {
    const { parents, committedSec } = this.commitOf(oid);
    return { parents, committedSec };
  }
  async files(oid: string, max: number): Promise<TreeFile[]> {
    return Object.entries(this.commitOf(oid).files)
      .map(([path, spec]): TreeFile => {
        if (typeof spec === 'string') return { path, mode: '100644', size: Buffer.byteLength(spec) };
        if ('size' in spec) return { path, mode: '100644', size: spec.size };
        return { path, mode: spec.mode, ...(spec.mode === '160000' ? {} : { size: 10 }) };
      })
      .slice(0, max);
  }
  async read(oid: string, path: string, maxBytes: number): Promise<FileRead> {
    const spec = this.commitOf(oid).files[path];
    if (spec === undefined || (typeof spec !== 'string' && !('size' in spec))) return { kind: 'missing' };
    const size = typeof spec === 'string' ? Buffer.byteLength(spec) : spec.size;
    if (size > maxBytes) return { kind: 'too-large', size };
    return { kind: 'ok', content: Buffer.from(typeof spec === 'string' ? spec : '') };
  }
  async tip(ref: string) {
    return this.refs.get(ref);
  }
  async configProblem(oid: string) {
    return this.badConfigs.get(oid);
  }
}
/** The fake as the rules read it (its own `commit` makes commits). */
function readerOf(repo: FakeRepo): AuthReader {
  return {
    type: (oid) => repo.type(oid),
    commit: (oid) => repo.commitFacts(oid),
    files: (oid, max) => repo.files(oid, max),
    read: (oid, path, max) => repo.read(oid, path, max),
    tip: (ref) => repo.tip(ref),
    configProblem: (oid) => repo.configProblem(oid),
  };
}

const POLICY: AuthPolicy = { admins: [], leaseSec: 300, queueTimeoutSec: 24 * 3600, logCapBytes: 256 * 1024, artifactCapBytes: 16 * 1024 * 1024, liveLogBytes: 64 * 1024 };
const w1: Pusher = { role: 'worker', name: 'w1' };
const w2: Pusher = { role: 'worker', name: 'w2' };
const main: Pusher = { role: 'main', name: '' };
const alice: Pusher = { role: 'operator', name: 'alice' };

const json = (value: object) => `${JSON.stringify(value, null, 2)}\n`;
const HEX = 'a'.repeat(40);

function jobJson(id: string, createdAtMs = NOW - 60_000) {
  return json({ version: 1, id, repo: 'https://example.org/repo.git', base: HEX, head: 'b'.repeat(40), pipeline: 'check', createdAt: new Date(createdAtMs).toISOString() });
}
function lockJson(job: string, worker: string, event: 'claim' | 'heartbeat' | 'takeover' | 'release', attempt = 1, extra: object = {}) {
  return json({
    version: 1,
    job,
    event,
    worker,
    host: 'h',
    attempt,
    leaseSec: 300,
    nonce: '0123456789abcdef',
    at: new Date(NOW).toISOString(),
    ...(event === 'release' ? { reasons: ['bwrap: no'] } : {}),
    ...extra,
  });
}
function resultJson(job: string, worker: string, status: 'success' | 'failure' | 'error' | 'cancelled', attempt = 1) {
  const at = new Date(NOW).toISOString();
  return json({ version: 1, job, status, reason: 'r', worker, attempt, startedAt: at, finishedAt: at, durationMs: 0 });
}
function presenceJson(worker: string) {
  return json({ version: 1, worker, host: 'h', kind: 'default', state: 'idle', at: new Date(NOW).toISOString(), pipelines: ['check'], seq: 1 });
}

/** A repository with job j1 claimed by w1 ten seconds ago, and job j2 queued. */
function world() {
  const repo = new FakeRepo();
  const j1 = repo.commit({ 'job.json': jobJson('j1') }, [], NOW - 60_000);
  const j2 = repo.commit({ 'job.json': jobJson('j2') }, [], NOW - 60_000);
  const claim = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'claim') }, [j1], NOW - 10_000);
  repo.refs.set('refs/ci/jobs/j1', j1);
  repo.refs.set('refs/ci/jobs/j2', j2);
  repo.refs.set('refs/ci/locks/j1', claim);
  return { repo, j1, j2, claim };
}

async function decide(repo: FakeRepo, pusher: Pusher, updates: RefUpdateLine[], policy: AuthPolicy = POLICY, nowMs = NOW) {
  const decisions = await authorise({ pusher, updates, policy, nowMs }, readerOf(repo));
  return Object.fromEntries(decisions.map((d) => [d.ref, d]));
}
async function one(repo: FakeRepo, pusher: Pusher, update: RefUpdateLine, policy?: AuthPolicy, nowMs?: number) {
  return (await decide(repo, pusher, [update], policy, nowMs))[update.ref]!;
}
const create = (ref: string, newOid: string): RefUpdateLine => ({ ref, oldOid: null, newOid });
const move = (ref: string, oldOid: string, newOid: string): RefUpdateLine => ({ ref, oldOid, newOid });
const remove = (ref: string, oldOid: string): RefUpdateLine => ({ ref, oldOid, newOid: null });

// --- claims ------------------------------------------------------------------

test('a worker claims a queued job in its own name, attempt 1, on the job commit', async (t) => {
  const { repo, j2 } = world();
  const claim = repo.commit({ 'lock.json': lockJson('j2', 'w2', 'claim') }, [j2]);
  const d = await one(repo, w2, create('refs/ci/locks/j2', claim));
  t.true(d.allowed, d.reason);
  t.regex(d.reason, /worker w2 claims j2/);
});

test('a claim in another worker\'s name, of a later attempt, on another parent or over a held lock is refused', async (t) => {
  const { repo, j1, j2, claim } = world();
  const asW1 = repo.commit({ 'lock.json': lockJson('j2', 'w1', 'claim') }, [j2]);
  t.regex((await one(repo, w2, create('refs/ci/locks/j2', asW1))).reason, /lock.json names worker w1; worker w2 locks only in its own name/);
  const second = repo.commit({ 'lock.json': lockJson('j2', 'w2', 'claim', 2) }, [j2]);
  t.regex((await one(repo, w2, create('refs/ci/locks/j2', second))).reason, /a claim is attempt 1, not 2/);
  const wrongParent = repo.commit({ 'lock.json': lockJson('j2', 'w2', 'claim') }, [j1]);
  t.regex((await one(repo, w2, create('refs/ci/locks/j2', wrongParent))).reason, /a claim's parent is the job commit/);
  const otherJob = repo.commit({ 'lock.json': lockJson('j1', 'w2', 'claim') }, [j2]);
  t.regex((await one(repo, w2, create('refs/ci/locks/j2', otherJob))).reason, /lock.json names job j1, not j2/);
  const squat = repo.commit({ 'lock.json': lockJson('j1', 'w2', 'claim') }, [j1]);
  const d = await one(repo, w2, move('refs/ci/locks/j1', claim, squat));
  t.false(d.allowed);
  t.regex(d.reason, /a claim creates the lock, and refs\/ci\/locks\/j1 exists \(held by w1 \(attempt 1\)\)/);
});

test('a claim that raced the archive (the job ref is gone) is allowed when its parent is still that job', async (t) => {
  const { repo, j2 } = world();
  repo.refs.delete('refs/ci/jobs/j2');
  const claim = repo.commit({ 'lock.json': lockJson('j2', 'w2', 'claim') }, [j2]);
  t.true((await one(repo, w2, create('refs/ci/locks/j2', claim))).allowed);
  const elsewhere = repo.commit({ 'lock.json': lockJson('j2', 'w2', 'claim') }, [repo.commit({ 'job.json': jobJson('j9') })]);
  t.false((await one(repo, w2, create('refs/ci/locks/j2', elsewhere))).allowed);
});

test('a worker claims or takes over only jobs of pipelines the workers rules give it', async (t) => {
  const { repo, j2, claim } = world();
  // As the hook builds it from config.json: w2 is trusted with the "docs" pipeline only.
  const policy: AuthPolicy = { ...POLICY, mayRun: (worker, pipeline) => worker !== 'w2' || pipeline === 'docs' };
  const asW2 = repo.commit({ 'lock.json': lockJson('j2', 'w2', 'claim') }, [j2]);
  const refused = await one(repo, w2, create('refs/ci/locks/j2', asW2), policy);
  t.false(refused.allowed);
  t.regex(refused.reason, /the configuration's workers rules do not let worker w2 run pipeline check/);
  const asW1 = repo.commit({ 'lock.json': lockJson('j2', 'w1', 'claim') }, [j2]);
  t.true((await one(repo, w1, create('refs/ci/locks/j2', asW1), policy)).allowed);
  // A takeover after the lease is judged the same way.
  const later = NOW + 600_000;
  const takeover = repo.commit({ 'lock.json': lockJson('j1', 'w2', 'takeover', 2) }, [claim], later);
  t.regex((await one(repo, w2, move('refs/ci/locks/j1', claim, takeover), policy, later)).reason, /do not let worker w2 run pipeline check/);
  t.true((await one(repo, w2, move('refs/ci/locks/j1', claim, takeover), POLICY, later)).allowed);
});

// --- heartbeats, releases, takeovers -------------------------------------------

test('the holder renews and hands back its lock; another worker cannot', async (t) => {
  const { repo, claim } = world();
  const beat = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'heartbeat') }, [claim]);
  t.true((await one(repo, w1, move('refs/ci/locks/j1', claim, beat))).allowed);
  const release = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'release') }, [claim]);
  t.regex((await one(repo, w1, move('refs/ci/locks/j1', claim, release))).reason, /worker w1 hands back its lock on j1/);
  const foreign = repo.commit({ 'lock.json': lockJson('j1', 'w2', 'heartbeat') }, [claim]);
  t.regex((await one(repo, w2, move('refs/ci/locks/j1', claim, foreign))).reason, /only the holder renews or releases a lock, and it is held by w1/);
  const otherAttempt = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'heartbeat', 2) }, [claim]);
  t.regex((await one(repo, w1, move('refs/ci/locks/j1', claim, otherAttempt))).reason, /a heartbeat keeps the attempt, 1, not 2/);
  const skipping = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'heartbeat') }, [beat]);
  t.regex((await one(repo, w1, move('refs/ci/locks/j1', claim, skipping))).reason, /a heartbeat commit's parent is the lock tip/);
});

test('a takeover waits until the lease is over, judged from the commit time with clock skew allowed', async (t) => {
  const { repo, j1 } = world();
  const lease = 300_000;
  const skew = clockSkewMs(300);
  t.is(skew, 30_000);
  const takeoverOf = (tip: string, attempt = 2) => repo.commit({ 'lock.json': lockJson('j1', 'w2', 'takeover', attempt, { previousWorker: 'w1' }) }, [tip]);
  const claimAt = (ms: number) => repo.commit({ 'lock.json': lockJson('j1', 'w1', 'claim') }, [j1], ms);

  const fresh = claimAt(NOW - 10_000);
  const refused = await one(repo, w2, move('refs/ci/locks/j1', fresh, takeoverOf(fresh)));
  t.false(refused.allowed);
  t.regex(refused.reason, /the lease of w1 on j1 runs until 2026-03-01T12:04:20.000Z \(its commit time plus 300s, less 30s of clock skew\)/);

  const almost = claimAt(NOW - lease + skew + 1000);
  t.false((await one(repo, w2, move('refs/ci/locks/j1', almost, takeoverOf(almost)))).allowed, 'one second short of the lease less the skew');
  const withinSkew = claimAt(NOW - lease + skew);
  t.true((await one(repo, w2, move('refs/ci/locks/j1', withinSkew, takeoverOf(withinSkew)))).allowed, 'the skew is granted');
  const stale = claimAt(NOW - lease - 1000);
  const taken = await one(repo, w2, move('refs/ci/locks/j1', stale, takeoverOf(stale)));
  t.true(taken.allowed);
  t.regex(taken.reason, /worker w2 takes j1 over from w1 \(the lease of w1 expired\)/);
  t.regex((await one(repo, w2, move('refs/ci/locks/j1', stale, takeoverOf(stale, 3)))).reason, /a takeover is attempt 2, not 3/);
});

test('a released lock is taken over at once; a finished one never', async (t) => {
  const { repo, claim } = world();
  const release = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'release') }, [claim]);
  const takeover = repo.commit({ 'lock.json': lockJson('j1', 'w2', 'takeover', 2) }, [release]);
  t.true((await one(repo, w2, move('refs/ci/locks/j1', release, takeover))).allowed);
  const result = repo.commit({ 'result.json': resultJson('j1', 'w1', 'success') }, [claim], NOW - 1_000_000);
  const late = repo.commit({ 'lock.json': lockJson('j1', 'w2', 'takeover', 2) }, [result]);
  t.regex((await one(repo, w2, move('refs/ci/locks/j1', result, late))).reason, /j1 is finished: its lock is at the result commit/);
});

test('a lock commit dated further ahead than the skew is refused (it would stretch its own lease)', async (t) => {
  const { repo, claim } = world();
  const ahead = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'heartbeat') }, [claim], NOW + 31_000);
  t.regex((await one(repo, w1, move('refs/ci/locks/j1', claim, ahead))).reason, /its commit time is 31s ahead of the coordination host's clock \(at most 30s allowed\)/);
  const slightly = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'heartbeat') }, [claim], NOW + 29_000);
  t.true((await one(repo, w1, move('refs/ci/locks/j1', claim, slightly))).allowed);
});

test('only the holder deletes a lock (giving the job back untouched)', async (t) => {
  const { repo, claim } = world();
  t.true((await one(repo, w1, remove('refs/ci/locks/j1', claim))).allowed);
  t.regex((await one(repo, w2, remove('refs/ci/locks/j1', claim))).reason, /a worker deletes only a lock it holds \(held by w1 \(attempt 1\)\)/);
  const result = repo.commit({ 'result.json': resultJson('j1', 'w1', 'success') }, [claim]);
  t.regex((await one(repo, w1, remove('refs/ci/locks/j1', result))).reason, /at its result: the job is finished/);
  const release = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'release') }, [claim]);
  t.regex((await one(repo, w1, remove('refs/ci/locks/j1', release))).reason, /released by w1/, 'a released lock keeps the attempt count');
});

// --- results -------------------------------------------------------------------

function publish(oid: string, lockOld: string | null, id = 'j1'): RefUpdateLine[] {
  return [
    { ref: `refs/ci/results/${id}`, oldOid: null, newOid: oid },
    { ref: `refs/ci/locks/${id}`, oldOid: lockOld, newOid: oid },
  ];
}

test('the holder publishes its result with the lock moved to it', async (t) => {
  const { repo, claim } = world();
  const result = repo.commit({ 'result.json': resultJson('j1', 'w1', 'failure'), 'logs/a.log': 'x' }, [claim]);
  const d = await decide(repo, w1, publish(result, claim));
  t.true(d['refs/ci/results/j1']!.allowed, d['refs/ci/results/j1']!.reason);
  t.true(d['refs/ci/locks/j1']!.allowed);
  t.regex(d['refs/ci/results/j1']!.reason, /worker w1 publishes its result for j1/);
});

test('a result for another worker\'s job, or naming another worker, is refused on both refs', async (t) => {
  const { repo, claim } = world();
  const mine = repo.commit({ 'result.json': resultJson('j1', 'w2', 'success') }, [claim]);
  const d = await decide(repo, w2, publish(mine, claim));
  for (const ref of ['refs/ci/results/j1', 'refs/ci/locks/j1']) {
    t.false(d[ref]!.allowed);
    t.regex(d[ref]!.reason, /the lock on j1 is held by w1 \(attempt 1\); only the holder publishes a success result/);
  }
  const forged = repo.commit({ 'result.json': resultJson('j1', 'w1', 'success') }, [claim]);
  t.regex((await decide(repo, w2, publish(forged, claim)))['refs/ci/results/j1']!.reason, /result.json names worker w1; worker w2 publishes only its own results/);
  const wrongAttempt = repo.commit({ 'result.json': resultJson('j1', 'w1', 'success', 2) }, [claim]);
  t.regex((await decide(repo, w1, publish(wrongAttempt, claim)))['refs/ci/locks/j1']!.reason, /result.json says attempt 2; the lock is on attempt 1/);
});

test('a result without its lock move, or a lock moved to a result without the result ref, is refused', async (t) => {
  const { repo, claim } = world();
  const result = repo.commit({ 'result.json': resultJson('j1', 'w1', 'success') }, [claim]);
  t.regex((await one(repo, w1, create('refs/ci/results/j1', result))).reason, /a result is published with refs\/ci\/locks\/j1 moved to the same commit/);
  t.regex((await one(repo, w1, move('refs/ci/locks/j1', claim, result))).reason, /a lock moves to a result only with refs\/ci\/results\/j1 created at the same commit/);
  repo.refs.set('refs/ci/results/j1', result);
  t.regex((await one(repo, w1, move('refs/ci/results/j1', result, result))).reason, /a result is written once/);
  t.regex((await one(repo, w1, remove('refs/ci/results/j1', result))).reason, /results are deleted only by archiving/);
  const empty = repo.commit({ 'other.json': '{}' }, [claim]);
  t.regex((await one(repo, w1, create('refs/ci/results/j2', empty))).reason, /the commit holds no result.json/);
});

test('a sweep closes a lock whose lease is over with an error, never with a verdict of its own', async (t) => {
  const { repo, j1, claim } = world();
  const stale = repo.commit({ 'lock.json': lockJson('j1', 'w1', 'claim') }, [j1], NOW - 400_000);
  const giveUp = repo.commit({ 'result.json': resultJson('j1', 'w2', 'error') }, [stale]);
  const d = await decide(repo, w2, publish(giveUp, stale));
  t.true(d['refs/ci/locks/j1']!.allowed, d['refs/ci/locks/j1']!.reason);
  t.regex(d['refs/ci/locks/j1']!.reason, /worker w2 closes j1 \(the lease of w1 expired\)/);
  const verdict = repo.commit({ 'result.json': resultJson('j1', 'w2', 'success') }, [stale]);
  t.false((await decide(repo, w2, publish(verdict, stale)))['refs/ci/locks/j1']!.allowed);
  const cancelled = repo.commit({ 'result.json': resultJson('j1', 'w2', 'cancelled') }, [stale]);
  t.regex((await decide(repo, w2, publish(cancelled, stale)))['refs/ci/locks/j1']!.reason, /j1 has no cancel request/);
  repo.refs.set('refs/ci/cancel/j1', repo.commit({ 'cancel.json': '{}' }, [j1]));
  t.true((await decide(repo, w2, publish(cancelled, stale)))['refs/ci/locks/j1']!.allowed);
  const early = repo.commit({ 'result.json': resultJson('j1', 'w2', 'error') }, [claim]);
  t.regex((await decide(repo, w2, publish(early, claim)))['refs/ci/locks/j1']!.reason, /the lock on j1 is held by w1 \(attempt 1\) until 2026-03-01T12:04:20.000Z; only its holder publishes before then/);
});

test('a sweep sets aside a malformed job, locked or not, and gives up a job queued too long', async (t) => {
  const repo = new FakeRepo();
  const broken = repo.commit({ 'job.json': '{"version": 1, "id": "j3"}' }, [], NOW - 60_000);
  repo.refs.set('refs/ci/jobs/j3', broken);
  const reject = repo.commit({ 'result.json': resultJson('j3', 'w2', 'error') }, [broken]);
  t.regex((await decide(repo, w2, publish(reject, null, 'j3')))['refs/ci/locks/j3']!.reason, /worker w2 sets aside malformed job j3/);
  const lock = repo.commit({ 'lock.json': lockJson('j3', 'w1', 'claim') }, [broken]);
  const rejectLocked = repo.commit({ 'result.json': resultJson('j3', 'w2', 'error', 0) }, [lock]);
  t.regex((await decide(repo, w2, publish(rejectLocked, lock, 'j3')))['refs/ci/locks/j3']!.reason, /sets aside malformed job j3, with the lock on it/);

  const { repo: r2, j2 } = world();
  const early = r2.commit({ 'result.json': resultJson('j2', 'w2', 'error') }, [j2]);
  t.regex((await decide(r2, w2, publish(early, null, 'j2')))['refs/ci/locks/j2']!.reason, /j2 is queued, not locked, until .* \(queueTimeoutSec\)/);
  t.true((await decide(r2, w2, publish(early, null, 'j2'), POLICY, NOW + 25 * 3600_000))['refs/ci/locks/j2']!.allowed);
  const success = r2.commit({ 'result.json': resultJson('j2', 'w2', 'success') }, [j2]);
  t.regex((await decide(r2, w2, publish(success, null, 'j2')))['refs/ci/locks/j2']!.reason, /a worker closes it only with an error/);
});

// --- presence, doctor, what workers never write -------------------------------

test('a worker writes only its own presence, chained, and its own doctor ref', async (t) => {
  const repo = new FakeRepo();
  const own = repo.commit({ 'worker.json': presenceJson('w2') });
  t.true((await one(repo, w2, create('refs/ci/workers/w2', own))).allowed);
  const next = repo.commit({ 'worker.json': presenceJson('w2') }, [own]);
  t.true((await one(repo, w2, move('refs/ci/workers/w2', own, next))).allowed);
  t.regex((await one(repo, w2, move('refs/ci/workers/w2', own, repo.commit({ 'worker.json': presenceJson('w2') })))).reason, /a presence commit's parent is the previous one/);
  t.true((await one(repo, w2, remove('refs/ci/workers/w2', own))).allowed);
  const forged = repo.commit({ 'worker.json': presenceJson('w1') });
  t.regex((await one(repo, w2, create('refs/ci/workers/w1', forged))).reason, /worker w2 writes only refs\/ci\/workers\/w2/);
  t.regex((await one(repo, w2, create('refs/ci/workers/w2', forged))).reason, /worker.json names worker w1/);
  t.regex((await one(repo, w2, remove('refs/ci/workers/w1', own))).reason, /worker w2 writes only refs\/ci\/workers\/w2/);
  const scratch = repo.commit({ 'doctor.json': '{}' });
  t.true((await one(repo, w2, create('refs/ci/doctor/w2', scratch))).allowed);
  t.regex((await one(repo, w2, create('refs/ci/doctor/w1', scratch))).reason, /worker w2 writes only refs\/ci\/doctor\/w2/);
});

test('workers write no jobs, cancels, drain flags, history or configuration', async (t) => {
  const { repo, j1 } = world();
  const any = repo.commit({ 'x.json': '{}' }, [j1]);
  const cases: [string, RegExp][] = [
    ['refs/ci/jobs/j9', /workers do not write refs\/ci\/jobs\//],
    ['refs/ci/cancel/j1', /workers do not write refs\/ci\/cancel\//],
    ['refs/ci/drain/w1', /workers do not write another worker's drain flag/],
    ['refs/ci/history', /workers do not write the history/],
    ['refs/heads/config', /only operators change refs\/heads\/config, not worker w2/],
  ];
  for (const [ref, reason] of cases) t.regex((await one(repo, w2, create(ref, any))).reason, reason, ref);
});

test('a worker drains itself (quarantine), and only creates that flag', async (t) => {
  const repo = new FakeRepo();
  const drain = (worker: string) => json({ version: 1, worker, by: worker, at: new Date(NOW).toISOString(), reason: 'quarantined: the last 3 jobs failed on this host' });
  const own = repo.commit({ 'drain.json': drain('w2') });
  const d = await one(repo, w2, create('refs/ci/drain/w2', own));
  t.true(d.allowed, d.reason);
  t.regex(d.reason, /worker w2 drains itself: quarantined:/);
  t.regex((await one(repo, w2, remove('refs/ci/drain/w2', own))).reason, /an operator undrains it/);
  t.regex((await one(repo, w2, move('refs/ci/drain/w2', own, repo.commit({ 'drain.json': drain('w2') }, [own])))).reason, /only creates its own drain flag/);
  t.regex((await one(repo, w2, create('refs/ci/drain/w2', repo.commit({ 'drain.json': drain('w1') })))).reason, /drain.json names worker w1/);
  t.regex((await one(repo, w2, create('refs/ci/drain/w2', repo.commit({ 'x.json': '{}' })))).reason, /the commit has no drain.json/);
  t.true((await one(repo, main, remove('refs/ci/drain/w2', own))).allowed, 'the main host and operators undrain');
});

test('the main host writes jobs, cancels, the history and drain flags, but not the configuration', async (t) => {
  const { repo, j1 } = world();
  const any = repo.commit({ 'x.json': '{}' }, [j1]);
  for (const ref of ['refs/ci/jobs/j9', 'refs/ci/cancel/j1', 'refs/ci/drain/w1', 'refs/ci/history', 'refs/ci/locks/j1', 'refs/ci/results/j1']) {
    t.true((await one(repo, main, create(ref, any))).allowed, ref);
  }
  t.true((await one(repo, main, remove('refs/ci/jobs/j1', j1))).allowed, 'archiving deletes live refs');
  t.regex((await one(repo, main, remove('refs/ci/history', any))).reason, /the history is never deleted/);
  t.regex((await one(repo, main, create('refs/heads/config', any))).reason, /only operators change refs\/heads\/config, not the main host/);
  t.regex((await one(repo, { role: 'main', name: 'vm' }, create('refs/heads/config', any))).reason, /not main host vm/);
});

test('operators change the configuration when admins name them (or name nobody), and only with a valid one', async (t) => {
  const repo = new FakeRepo();
  const config = repo.commit({ 'config.json': '{}' });
  t.true((await one(repo, alice, create('refs/heads/config', config))).allowed);
  const admins = { ...POLICY, admins: ['bob'] };
  t.regex((await one(repo, alice, create('refs/heads/config', config), admins)).reason, /operator alice is not in the configuration's admins \(bob\)/);
  t.true((await one(repo, { role: 'operator', name: 'bob' }, create('refs/heads/config', config), admins)).allowed);
  t.regex((await one(repo, main, create('refs/heads/config', config), admins)).reason, /only operators named in the configuration's admins \(bob\)/);
  const bad = repo.commit({ 'config.json': '{"leaseSec": 0}' });
  repo.badConfigs.set(bad, 'config.json field leaseSec: Too small');
  t.regex((await one(repo, alice, create('refs/heads/config', bad))).reason, /the configuration is refused: config.json field leaseSec: Too small/);
  t.regex((await one(repo, alice, remove('refs/heads/config', config))).reason, /the configuration branch is never deleted/);
  t.true((await one(repo, alice, create('refs/ci/drain/w1', repo.commit({ 'drain.json': '{}' })))).allowed, 'operators drain workers');
});

// --- names, object types, limits ------------------------------------------------

test('ref names outside the protocol and ids that break the pattern are refused for everyone', async (t) => {
  const { repo, j1 } = world();
  for (const [ref, reason] of [
    ['refs/ci/jobs/a/b', /the id "a\/b" does not match/],
    ['refs/ci/locks/odd.id', /the id "odd.id" does not match/],
    ['refs/ci/workers/a..b', /the name "a..b" is not a simple name/],
    ['refs/tags/v1', /not a ref of the coordination repository/],
    ['refs/ci/other/x', /not a ref of the coordination repository/],
  ] as const) {
    const d = await one(repo, main, create(ref, j1));
    t.false(d.allowed, ref);
    t.regex(d.reason, reason, ref);
  }
  t.deepEqual(refTarget('refs/ci/doctor/w1'), { kind: 'doctor', name: 'w1' });
});

test('a ref must point at a commit', async (t) => {
  const repo = new FakeRepo();
  for (const type of ['blob', 'tree', 'tag'] as const) {
    t.regex((await one(repo, main, create('refs/ci/jobs/j1', repo.object(type)))).reason, new RegExp(`it points at a ${type}, not a commit`));
  }
  t.regex((await one(repo, main, create('refs/ci/jobs/j1', 'f'.repeat(40)))).reason, /is missing/);
});

test('records over the size and file limits are refused, whoever pushes them', async (t) => {
  const repo = new FakeRepo();
  const big = repo.commit({ 'job.json': { size: 70_000 } });
  const d = await one(repo, main, create('refs/ci/jobs/j1', big));
  t.false(d.allowed);
  t.regex(d.reason, /job.json is 70000 bytes, more than the limit of 65536/);
  t.regex((await one(repo, w2, create('refs/ci/jobs/j1', big))).reason, /more than the limit of 65536/, 'limits come before roles');
  const many = repo.commit(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, '{}'])));
  t.regex((await one(repo, main, create('refs/ci/jobs/j1', many))).reason, /its tree holds more than 16 files/);
  const link = repo.commit({ 'job.json': '{}', evil: { mode: '120000' } });
  t.regex((await one(repo, main, create('refs/ci/jobs/j1', link))).reason, /evil, a symlink/);
  const sub = repo.commit({ 'job.json': '{}', mod: { mode: '160000' } });
  t.regex((await one(repo, main, create('refs/ci/cancel/j1', sub))).reason, /mod, a submodule/);

  const artifacts = (files: Record<string, FileSpec>) => repo.commit({ 'result.json': resultJson('j1', 'w1', 'success'), ...files });
  t.true((await one(repo, main, create('refs/ci/results/j1', artifacts({ 'outputs/head.jsonl': { size: 2 * 16 * 1024 * 1024 } })))).allowed);
  t.regex(
    (await one(repo, main, create('refs/ci/results/j1', artifacts({ 'outputs/head.jsonl': { size: 4 * 16 * 1024 * 1024 + 1 } })))).reason,
    /outputs\/head.jsonl is 67108865 bytes, more than the limit of 67108864/,
  );
  t.regex((await one(repo, main, create('refs/ci/results/j1', artifacts({ 'logs/x.log': { size: 256 * 1024 + 4097 } })))).reason, /logs\/x.log is 266241 bytes/);
  const crowded = artifacts(Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`logs/s${i}.log`, 'x'])));
  t.regex((await one(repo, main, create('refs/ci/results/j1', crowded))).reason, /more than 257 files, the limit of a result commit/);
  const history = repo.commit(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`jobs/${i}/summary.json`, '{}'])));
  t.true((await one(repo, main, create('refs/ci/history', history))).allowed, 'the history holds every archived job');
  const beat = (files: Record<string, FileSpec>) => repo.commit({ 'lock.json': lockJson('j1', 'w1', 'heartbeat'), 'live-logs.json': '{}', ...files });
  t.true((await one(repo, main, create('refs/ci/locks/j1', beat(Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`logs/s${i}.log`, { size: 64 * 1024 }])))))).allowed, 'a heartbeat carries the live log');
  t.regex((await one(repo, main, create('refs/ci/locks/j1', beat({ 'logs/s.log': { size: 64 * 1024 + 1 } })))).reason, /logs\/s.log is 65537 bytes, more than the limit of 65536/);
  t.regex((await one(repo, main, create('refs/ci/locks/j1', beat(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`logs/s${i}.log`, 'x'])))))).reason, /more than 66 files, the limit of a lock commit/);
  const config = repo.commit({ 'config.json': { size: 1024 * 1024 + 1 } });
  t.regex((await one(repo, alice, create('refs/heads/config', config))).reason, /config.json is 1048577 bytes, more than the limit of 1048576/);
});

test('an unreadable record is refused with the decoder\'s reason', async (t) => {
  const { repo, j2 } = world();
  const junk = repo.commit({ 'lock.json': '{"version": 1, "job": "j2"}' }, [j2]);
  t.regex((await one(repo, w2, create('refs/ci/locks/j2', junk))).reason, /lock.json field event/);
  const none = repo.commit({ 'x.json': '{}' }, [j2]);
  t.regex((await one(repo, w2, create('refs/ci/locks/j2', none))).reason, /the commit has no lock.json/);
});

test('extra rules (a signature check) see only refs the built-in rules allow, and can refuse them', async (t) => {
  const { repo, j2, claim } = world();
  const seen: string[] = [];
  const good = repo.commit({ 'lock.json': lockJson('j2', 'w2', 'claim') }, [j2]);
  const bad = repo.commit({ 'lock.json': lockJson('j1', 'w2', 'heartbeat') }, [claim]);
  const decisions = await authorise(
    { pusher: w2, updates: [create('refs/ci/locks/j2', good), move('refs/ci/locks/j1', claim, bad)], policy: POLICY, nowMs: NOW },
    readerOf(repo),
    [
      async ({ update, target, request }) => {
        seen.push(`${update.ref} ${target.kind} ${request.pusher.name}`);
        return 'the commit is not signed by w2\'s key';
      },
    ],
  );
  t.deepEqual(seen, ['refs/ci/locks/j2 locks w2']);
  t.deepEqual(
    decisions.map((d) => [d.ref, d.allowed]),
    [
      ['refs/ci/locks/j2', false],
      ['refs/ci/locks/j1', false],
    ],
  );
  t.is(decisions[0]!.reason, 'the commit is not signed by w2\'s key');
});

// --- the pusher and the hook's input ---------------------------------------------

test('the pusher comes from REFCI_PUSHER, else from gitolite\'s GL_USER', (t) => {
  t.deepEqual(pusherFromEnv({ REFCI_PUSHER: 'worker:w1' }), { ok: true, pusher: { role: 'worker', name: 'w1' }, source: 'REFCI_PUSHER' });
  t.deepEqual(pusherFromEnv({ REFCI_PUSHER: 'main' }), { ok: true, pusher: { role: 'main', name: '' }, source: 'REFCI_PUSHER' });
  t.deepEqual(pusherFromEnv({ REFCI_PUSHER: 'operator:alice', GL_USER: 'worker.w9' }), { ok: true, pusher: { role: 'operator', name: 'alice' }, source: 'REFCI_PUSHER' });
  t.deepEqual(pusherFromEnv({ GL_USER: 'worker.gentoo.example' }), { ok: true, pusher: { role: 'worker', name: 'gentoo.example' }, source: 'GL_USER' });
  t.deepEqual(pusherFromEnv({ GL_USER: 'main' }), { ok: true, pusher: { role: 'main', name: '' }, source: 'GL_USER' });
  const missing = pusherFromEnv({});
  t.false(missing.ok);
  for (const value of ['worker', 'worker:', 'admin:x', 'worker:a/b', 'operator:..']) {
    const parsed = parsePusher(value, ':', 'REFCI_PUSHER');
    t.false(parsed.ok, value);
  }
  const bad = parsePusher('root', ':', 'REFCI_PUSHER');
  t.regex(bad.ok ? '' : bad.reason, /REFCI_PUSHER="root" names no role/);
});

test('the hook reads git\'s `<old> <new> <ref>` lines; zeros mean created or deleted', (t) => {
  const zero = '0'.repeat(40);
  const a = 'a'.repeat(40);
  const { updates, problems } = parseReceiveLines(`${zero} ${a} refs/ci/jobs/j1\n${a} ${zero} refs/ci/locks/j1\n\nnot a line\n`);
  t.deepEqual(updates, [
    { ref: 'refs/ci/jobs/j1', oldOid: null, newOid: a },
    { ref: 'refs/ci/locks/j1', oldOid: a, newOid: null },
  ]);
  t.is(problems.length, 1);
});

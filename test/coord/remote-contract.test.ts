/**
 * One contract, two coordination repositories: a bare git repository reached
 * by git's own transport, and the in-process MemoryRemote the stages' logic
 * tests use. Every case runs against both. The cases of a claim, a
 * takeover, a result and an archive (create-only, racing writers, a swap,
 * several refs at once, leased deletes) run over git daemon, smart HTTP and
 * ssh too, with the outcomes a local path gives: git's client judges a lease
 * against what each transport advertised, the server the writers that race
 * past it (and test/git/push.test.ts the server's own judgement over each).
 * The worker race, the SIGKILL takeover and the archive's own tests then
 * need a local path only.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CoordClone } from '../../src/coord/clone.ts';
import { remoteFor } from '../../src/coord/remote.ts';
import { initBare } from '../../src/git/init.ts';
import { commitTree, readTreeEntries, writeRecordCommit } from '../../src/git/objects.ts';
import { signatureFor } from '../../src/protocol/actor.ts';
import { memoryRepository } from '../helpers/memory.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';
import { allowPushes, serveFolder, testOver, type Server, type Transport } from '../helpers/transports.ts';

/** A repository served over a transport: a new one in the served folder for each case. */
interface OverTransport {
  transport: Exclude<Transport, 'file'>;
  server: Server;
  folder: string;
}

/** 'git' is a bare repository on a local path. */
type Where = 'git' | 'memory' | OverTransport;

let served = 0;

async function setUp(t: ExecutionContext, where: Where) {
  let url: string;
  /** Makes the repository decline every push that names `ref`, in `words`. */
  let decline: (ref: string, words: string) => void = () => {
    throw new Error('the lease cases decline nothing');
  };
  if (typeof where === 'object') {
    const repo = path.join(where.folder, `case-${++served}.git`);
    await initBare(repo);
    await allowPushes(where.transport, repo);
    url = where.server.url(repo);
  } else if (where === 'git') {
    url = await bareRepo(t);
    decline = (ref, words) =>
      fs.writeFileSync(path.join(url, 'hooks', 'pre-receive'), `#!/bin/sh\nwhile read old new ref; do [ "$ref" = ${ref} ] && { echo "${words}" >&2; exit 1; }; done\nexit 0\n`, { mode: 0o755 });
  } else {
    const memory = memoryRepository(t);
    url = memory.url;
    decline = (ref, words) => (memory.declines = (refs) => (refs.includes(ref) ? words : undefined));
  }
  const dir = tempDir(t);
  const a = await CoordClone.open(path.join(dir, 'a.git'), url);
  const b = await CoordClone.open(path.join(dir, 'b.git'), url);
  let made = 0;
  /** A record commit in `clone`, unique unless `same` names the content. */
  const record = (clone: CoordClone, parents: string[] = [], same?: string) =>
    writeRecordCommit(clone.gitdir, {
      files: { 'lock.json': `${same ?? ++made}\n`, 'logs/step.log': 'ok\n' },
      parents,
      message: 'record',
      author: signatureFor('worker', 'w', Date.parse('2026-01-01T00:00:00Z')),
    });
  const tip = async (ref: string) => (await a.remoteTips([ref])).get(ref);
  return { a, b, record, tip, decline, url, dir };
}

const LOCK = 'refs/ci/locks/j1';
const JOB = 'refs/ci/jobs/j1';

/**
 * The lease cases: every one runs on git and the memory repository. Those of
 * the pushes a claim, a takeover, a result and an archive make run over each
 * transport too; the others (an identical commit, a ref only checked, fetch)
 * are git's client reading the refs advertised, as over a local path.
 */
interface LeaseCase {
  title: string;
  overTransports: boolean;
  run: (t: ExecutionContext, where: Where) => Promise<void>;
}

const LEASE_CASES: LeaseCase[] = [
  { title: 'a create-only push wins once; another writer\'s is refused with git\'s words', overTransports: true, run: async (t, where) => {
    const { a, b, record, tip } = await setUp(t, where);
    const mine = await record(a);
    t.like(await a.push([{ ref: LOCK, newOid: mine, expect: null }]), { won: true, outcome: 'won' });
    const theirs = await record(b);
    const lost = await b.push([{ ref: LOCK, newOid: theirs, expect: null }]);
    t.like(lost, { won: false, outcome: 'refused' });
    t.regex(lost.cause, /refs\/ci\/locks\/j1 .*stale info/);
    t.is(await tip(LOCK), mine);
  } },

  { title: 'of writers racing for one ref at the same moment, exactly one wins', overTransports: true, run: async (t, where) => {
    const { a, b, record, tip, url, dir } = await setUp(t, where);
    const racers = [a, b, ...(await Promise.all([1, 2].map((n) => CoordClone.open(path.join(dir, `racer-${n}.git`), url))))];
    const commits = await Promise.all(racers.map((clone) => record(clone)));
    const outcomes = await Promise.all(racers.map((clone, i) => clone.push([{ ref: LOCK, newOid: commits[i]!, expect: null }])));
    t.is(outcomes.filter((outcome) => outcome.won).length, 1);
    t.true(outcomes.every((outcome) => outcome.won || outcome.outcome === 'refused'));
    t.is(await tip(LOCK), commits[outcomes.findIndex((outcome) => outcome.won)]);
  } },

  { title: 'the same commit pushed by a second writer is up to date, not a win', overTransports: false, run: async (t, where) => {
    const { a, b, record } = await setUp(t, where);
    const first = await record(a, [], 'same');
    const second = await record(b, [], 'same');
    t.is(first, second);
    t.true((await a.push([{ ref: LOCK, newOid: first, expect: null }])).won);
    t.like(await b.push([{ ref: LOCK, newOid: second, expect: null }]), { won: false, outcome: 'refused' });
  } },

  { title: 'a swap holds only on the tip it names', overTransports: true, run: async (t, where) => {
    const { a, b, record, tip } = await setUp(t, where);
    const first = await record(a);
    t.true((await a.push([{ ref: LOCK, newOid: first, expect: null }])).won);
    const second = await record(a, [first]);
    t.true((await a.push([{ ref: LOCK, newOid: second, expect: first }])).won);
    const stale = await record(b);
    t.like(await b.push([{ ref: LOCK, newOid: stale, expect: first }]), { won: false, outcome: 'refused' });
    t.is(await tip(LOCK), second);
  } },

  { title: 'several refs change together or not at all', overTransports: true, run: async (t, where) => {
    const { a, b, record, tip } = await setUp(t, where);
    const job = await record(a);
    t.true((await a.push([{ ref: JOB, newOid: job, expect: null }])).won);
    const lock = await record(b);
    const other = await record(b);
    // The job ref moved since b's lease: neither ref changes.
    const lost = await b.push([
      { ref: LOCK, newOid: lock, expect: null },
      { ref: JOB, newOid: other, expect: null },
    ]);
    t.like(lost, { won: false, outcome: 'refused' });
    t.is(await tip(LOCK), undefined);
    t.is(await tip(JOB), job);
  } },

  { title: 'a ref pushed only to check it holds while it is unchanged', overTransports: false, run: async (t, where) => {
    const { a, b, record } = await setUp(t, where);
    const job = await record(a);
    t.true((await a.push([{ ref: JOB, newOid: job, expect: null }])).won);
    const lock = await record(b);
    await b.fetch(['+refs/ci/jobs/*:refs/ci/jobs/*']);
    t.true((await b.push([{ ref: JOB, newOid: job, expect: job }, { ref: LOCK, newOid: lock, expect: null }])).won);
    const moved = await record(a, [job]);
    t.true((await a.push([{ ref: JOB, newOid: moved, expect: job }])).won);
    const next = await record(b, [lock]);
    t.like(await b.push([{ ref: JOB, newOid: job, expect: job }, { ref: LOCK, newOid: next, expect: lock }]), { won: false, outcome: 'refused' });
  } },

  { title: 'fetch mirrors what its refspecs match, with the objects, and prunes what went', overTransports: false, run: async (t, where) => {
    const { a, b, record } = await setUp(t, where);
    const job = await record(a);
    const lock = await record(a, [job]);
    t.true((await a.push([{ ref: JOB, newOid: job, expect: null }, { ref: LOCK, newOid: lock, expect: null }])).won);
    t.true(await b.fetch(['+refs/ci/locks/*:refs/ci/locks/*']));
    t.deepEqual(await b.refs('refs/ci/'), new Map([[LOCK, lock]]));
    t.is((await b.readFile(lock, 'logs/step.log', 100))?.toString(), 'ok\n');
    t.false(await b.fetch(['+refs/ci/locks/*:refs/ci/locks/*']), 'nothing new');
    t.true(await b.fetch(['+refs/ci/jobs/j1*:refs/ci/jobs/j1*']));
    t.is(await b.ref(JOB), job);
    t.true((await a.push([{ ref: LOCK, newOid: null, expect: lock }])).won);
    t.true(await b.fetch(['+refs/ci/locks/*:refs/ci/locks/*']));
    t.deepEqual(await b.refs('refs/ci/locks/'), new Map());
    t.is(await b.ref(JOB), job, 'a ref outside the refspecs stays');
  } },

  { title: 'a delete holds only on the tip it names', overTransports: true, run: async (t, where) => {
    const { a, record, tip } = await setUp(t, where);
    const first = await record(a);
    t.true((await a.push([{ ref: LOCK, newOid: first, expect: null }])).won);
    t.like(await a.push([{ ref: LOCK, newOid: null, expect: 'f'.repeat(40) }]), { won: false, outcome: 'refused' });
    // An archive that saw no lock loses to a claim the repository advertises: git's client checks the "not there"
    // lease (the server does not: test/git/push.test.ts).
    t.like(await a.push([{ ref: LOCK, newOid: null, expect: null }]), { won: false, outcome: 'refused' });
    t.true((await a.push([{ ref: LOCK, newOid: null, expect: first }])).won);
    t.is(await tip(LOCK), undefined);
    // The archive deletes every kind of a job's refs, those it never had under a "not there" lease.
    t.true((await a.push([{ ref: LOCK, newOid: null, expect: null }, { ref: 'refs/ci/cancel/j1', newOid: null, expect: null }])).won);
  } },
];

for (const kind of ['git', 'memory'] as const) {
  for (const { title, run } of LEASE_CASES) test(`${kind}: ${title}`, (t) => run(t, kind));
}

// One server per transport, a new repository in its folder for each case. Three cases at a time: sshd
// drops connections beyond ten that have not yet authenticated (its MaxStartups).
for (const transport of ['git-daemon', 'http', 'ssh'] as const) {
  const over = testOver(transport, test, test.skip);
  over.test(`${transport}: the leases of claims, takeovers, results and archives hold as on a local path${over.skipped}`, async (t) => {
    const folder = tempDir(t);
    const server = await serveFolder(t, transport, folder);
    const waiting = LEASE_CASES.filter((leaseCase) => leaseCase.overTransports);
    const lane = async () => {
      for (let next = waiting.shift(); next; next = waiting.shift()) {
        try {
          await next.run(t, { transport, server, folder });
        } catch (error) {
          throw new Error(`${next.title}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      }
    };
    // Every lane ends before the test does (and its server stops), whichever case throws.
    const ended = await Promise.allSettled([lane(), lane(), lane()]);
    for (const lane of ended) if (lane.status === 'rejected') throw lane.reason;
  });
}

for (const kind of ['git', 'memory'] as const) {
  test(`${kind}: a push the repository declines fails with the repository's own words, never as a lost race`, async (t) => {
    const { a, record, tip, decline } = await setUp(t, kind);
    decline(LOCK, 'locks are closed today');
    const lock = await record(a);
    const job = await record(a);
    const declined = await a.push([{ ref: JOB, newOid: job, expect: null }, { ref: LOCK, newOid: lock, expect: null }]);
    t.like(declined, { won: false, outcome: 'failed' });
    t.regex(declined.cause, /pre-receive hook declined.*locks are closed today/);
    t.is(await tip(JOB), undefined);
    t.true((await a.push([{ ref: JOB, newOid: job, expect: null }])).won);
  });
}

for (const kind of ['git', 'memory'] as const) {
  test(`${kind}: leases are judged before the hook: a stale push is a lost race, a push of refs already there wins`, async (t) => {
    const { a, b, record, decline } = await setUp(t, kind);
    const job = await record(a);
    t.true((await a.push([{ ref: JOB, newOid: job, expect: null }])).won);
    decline('refs/ci/jobs/j1', 'jobs are closed today');
    const theirs = await record(b);
    t.like(await b.push([{ ref: JOB, newOid: theirs, expect: null }]), { won: false, outcome: 'refused' });
    t.true((await a.push([{ ref: JOB, newOid: job, expect: job }])).won, 'nothing to change: the hook is not asked');
  });

  test(`${kind}: a fetch of a named ref the repository lacks fails; a pattern that matches nothing does not`, async (t) => {
    const { b } = await setUp(t, kind);
    await t.throwsAsync(() => b.fetch([`+${LOCK}:${LOCK}`]), { message: /couldn't find remote ref refs\/ci\/locks\/j1/ });
    t.false(await b.fetch(['+refs/ci/locks/j1*:refs/ci/locks/j1*']));
  });

  test(`${kind}: a push from a clone that lacks an object fails whole and leaves the repository readable`, async (t) => {
    const { a, b, record, tip } = await setUp(t, kind);
    const broken = await record(a);
    const { blob } = await blobOf(a, broken);
    fs.rmSync(path.join(a.gitdir, 'objects', blob.slice(0, 2), blob.slice(2)));
    t.like(await a.push([{ ref: LOCK, newOid: broken, expect: null }]), { won: false, outcome: 'failed' });
    t.is(await tip(LOCK), undefined);
    const whole = await record(b, [], 'whole');
    t.true((await b.push([{ ref: LOCK, newOid: whole, expect: null }])).won);
    t.true(await a.fetch(['+refs/ci/locks/*:refs/ci/locks/*']));
    t.is((await a.readFile(whole, 'lock.json', 100))?.toString(), 'whole\n');
  });
}

/** The blob of a record commit's lock.json. */
async function blobOf(clone: CoordClone, commit: string): Promise<{ blob: string }> {
  const tree = await commitTree(clone.gitdir, commit);
  const entry = (await readTreeEntries(clone.gitdir, tree)).find((e) => e.path === 'lock.json')!;
  return { blob: entry.oid };
}

test('a memory:// URL that no repository of this process holds is refused with what to give instead', (t) => {
  const error = t.throws(() => remoteFor('memory://nowhere'));
  t.regex(error!.message, /memory:\/\/nowhere names no coordination repository of this process/);
});

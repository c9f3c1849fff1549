import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { CoordClone } from '../../src/coord/clone.ts';
import { writeRecordCommit } from '../../src/git/objects.ts';
import { declinedRefs, parsePorcelain, refusedRefs } from '../../src/git/push.ts';
import { bareRepo, tempDir } from '../helpers/temp.ts';
import { serve, testOver } from '../helpers/transports.ts';

const author = { name: 'refci test', email: 'test@refci', timeMs: Date.parse('2026-01-01T00:00:00Z') };

test('a create-only push wins once; the second identical-lease push loses', async (t) => {
  const remote = await bareRepo(t);
  const a = await CoordClone.open(path.join(tempDir(t), 'a.git'), remote);
  const b = await CoordClone.open(path.join(tempDir(t), 'b.git'), remote);
  const ca = await writeRecordCommit(a.gitdir, { files: { 'x.json': '{"n":"a"}' }, parents: [], message: 'a', author });
  const cb = await writeRecordCommit(b.gitdir, { files: { 'x.json': '{"n":"b"}' }, parents: [], message: 'b', author });
  const first = await a.push([{ ref: 'refs/ci/locks/j1', newOid: ca, expect: null }]);
  t.true(first.won);
  const second = await b.push([{ ref: 'refs/ci/locks/j1', newOid: cb, expect: null }]);
  t.false(second.won);
  t.is(second.refs.get('refs/ci/locks/j1')?.outcome, 'rejected');
  t.is(second.outcome, 'refused');
  t.regex(second.cause, /refs\/ci\/locks\/j1 .*stale info/);
  t.is(await a.ref('refs/ci/locks/j1'), ca);
  t.is(await b.ref('refs/ci/locks/j1'), undefined);
});

test('an atomic push changes all refs or none', async (t) => {
  const remote = await bareRepo(t);
  const a = await CoordClone.open(path.join(tempDir(t), 'a.git'), remote);
  const c1 = await writeRecordCommit(a.gitdir, { files: { 'x.json': '1' }, parents: [], message: 'one', author });
  t.true((await a.push([{ ref: 'refs/ci/jobs/j1', newOid: c1, expect: null }])).won);
  const c2 = await writeRecordCommit(a.gitdir, { files: { 'x.json': '2' }, parents: [], message: 'two', author });
  const result = await a.push([
    { ref: 'refs/ci/jobs/j2', newOid: c2, expect: null },
    { ref: 'refs/ci/jobs/j1', newOid: c2, expect: null },
  ]);
  t.false(result.won);
  const b = await CoordClone.open(path.join(tempDir(t), 'b.git'), remote);
  await b.fetch(['+refs/ci/jobs/*:refs/ci/jobs/*']);
  t.deepEqual([...(await b.refs('refs/ci/')).keys()], ['refs/ci/jobs/j1']);
});

test('a push that cannot reach the repository failed, with git\'s cause; it is not a refusal', async (t) => {
  const a = await CoordClone.open(path.join(tempDir(t), 'a.git'), path.join(tempDir(t), 'missing.git'));
  const c1 = await writeRecordCommit(a.gitdir, { files: { 'x.json': '1' }, parents: [], message: 'one', author });
  const result = await a.push([{ ref: 'refs/ci/locks/j1', newOid: c1, expect: null }]);
  t.false(result.won);
  t.is(result.outcome, 'failed');
  t.regex(result.cause, /git push .*failed: .*(does not appear to be a git repository|Could not read from remote)/);
});

test('porcelain parsing reads every flag', (t) => {
  const parsed = parsePorcelain(
    'To /x\n*\tabc:refs/ci/a\t[new reference]\n!\tdef:refs/ci/b\t[rejected] (stale info)\n=\tabc:refs/ci/c\t[up to date]\n-\t:refs/ci/d\t[deleted]\nDone\n',
  );
  t.is(parsed.get('refs/ci/a')?.outcome, 'updated');
  t.is(parsed.get('refs/ci/b')?.outcome, 'rejected');
  t.is(parsed.get('refs/ci/c')?.outcome, 'up-to-date');
  t.is(parsed.get('refs/ci/d')?.outcome, 'updated');
});

test('a push a hook declines failed, with the hook\'s own reason in the cause; it is not a lost race', async (t) => {
  const remote = await bareRepo(t);
  fs.writeFileSync(
    path.join(remote, 'hooks', 'pre-receive'),
    '#!/bin/sh\nwhile read old new ref; do echo "refci: refused $ref: the lease of w1 runs until later" >&2; done\nexit 1\n',
    { mode: 0o755 },
  );
  const a = await CoordClone.open(path.join(tempDir(t), 'a.git'), remote);
  const c1 = await writeRecordCommit(a.gitdir, { files: { 'x.json': '1' }, parents: [], message: 'one', author });
  const result = await a.push([
    { ref: 'refs/ci/results/j1', newOid: c1, expect: null },
    { ref: 'refs/ci/locks/j1', newOid: c1, expect: null },
  ]);
  t.false(result.won);
  t.is(result.outcome, 'failed');
  t.is(result.cause, 'refs/ci/results/j1 [remote rejected] (pre-receive hook declined): refci: refused refs/ci/results/j1: the lease of w1 runs until later');
});

/**
 * A hook that moves the ref itself while the push is being received, as another writer's push
 * landing between the advertisement and the update does: receive-pack then fails the update on the
 * server. (Hooks may not change refs inside git's quarantine, so it steps out of it.)
 */
function movedOnTheServer(remote: string, ref: string, oid: string | null): void {
  const file = path.join(remote, 'hooks', 'pre-receive');
  const value = oid === null ? '' : oid;
  fs.writeFileSync(file, `#!/bin/sh\ncat >/dev/null\nenv -u GIT_QUARANTINE_PATH git update-ref ${ref} ${value || '$(git rev-parse refs/ci/jobs/j0)'}\nexit 0\n`);
  fs.chmodSync(file, 0o755);
}

// git's client judges a lease against the refs the server advertised; the server judges it again under the ref's
// lock, whatever the transport. A claim, a takeover and a result rest on that second judgement when writers race.
for (const transport of ['file', 'git-daemon', 'http', 'ssh'] as const) {
  const over = testOver(transport, test, test.skip);
  over.test(`${transport}: a lease that holds at the advertisement but not at the update lost on the server: refused, not failed${over.skipped}`, async (t) => {
    const remote = await bareRepo(t);
    const { url } = await serve(t, transport, remote);
    const a = await CoordClone.open(path.join(tempDir(t), 'a.git'), url);
    const base = await writeRecordCommit(a.gitdir, { files: { 'x.json': '0' }, parents: [], message: 'zero', author });
    t.true((await a.push([{ ref: 'refs/ci/jobs/j0', newOid: base, expect: null }])).won);
    const mine = await writeRecordCommit(a.gitdir, { files: { 'x.json': '1' }, parents: [base], message: 'one', author });

    // Create-only: another claim lands first. The remote says: cannot lock ref ...: reference already exists.
    movedOnTheServer(remote, 'refs/ci/locks/j1', null);
    const created = await a.push([{ ref: 'refs/ci/locks/j1', newOid: mine, expect: null }]);
    t.is(created.outcome, 'refused', created.cause);
    t.regex(created.cause, /^refs\/ci\/locks\/j1 .*reference already exists/);

    // A swap: the ref moves to another commit first. The remote says: is at <oid> but expected <oid>.
    const other = await writeRecordCommit(a.gitdir, { files: { 'x.json': '2' }, parents: [base], message: 'two', author });
    t.true((await a.push([{ ref: 'refs/ci/locks/j2', newOid: base, expect: null }])).won);
    t.true((await a.push([{ ref: 'refs/ci/locks/j9', newOid: other, expect: null }])).won);
    movedOnTheServer(remote, 'refs/ci/locks/j2', other);
    const swapped = await a.push([
      { ref: 'refs/ci/locks/j2', newOid: mine, expect: base },
      { ref: 'refs/ci/results/j2', newOid: mine, expect: null },
    ]);
    t.is(swapped.outcome, 'refused', swapped.cause);
    t.regex(swapped.cause, /^refs\/ci\/locks\/j2 .*but expected/);
    // Only the moved ref is blamed: a result pushed with a claim that lost this way is pushed again alone.
    t.deepEqual(refusedRefs(swapped), ['refs/ci/locks/j2']);
    t.deepEqual(declinedRefs(swapped), []);
  });
}

// The one lease the server does not judge: a deletion sent as "must not exist". receive-pack deletes whatever is
// there ("allowing deletion of corrupt ref"). docs/protocol.md (section 7) says what the archive makes of it.
test('a deletion leased on "must not exist" deletes a ref created after the advertisement: only the client checked it', async (t) => {
  const remote = await bareRepo(t);
  const a = await CoordClone.open(path.join(tempDir(t), 'a.git'), remote);
  const base = await writeRecordCommit(a.gitdir, { files: { 'x.json': '0' }, parents: [], message: 'zero', author });
  t.true((await a.push([{ ref: 'refs/ci/jobs/j0', newOid: base, expect: null }])).won);
  movedOnTheServer(remote, 'refs/ci/locks/j0', null);
  const deleted = await a.push([{ ref: 'refs/ci/locks/j0', newOid: null, expect: null }]);
  t.true(deleted.won, deleted.cause);
  t.is(await a.remoteTips(['refs/ci/locks/j0']).then((tips) => tips.get('refs/ci/locks/j0')), undefined, 'the lock created in between is gone');
});

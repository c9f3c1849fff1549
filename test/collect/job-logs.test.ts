import test from 'ava';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';
import { archiveJob } from '../../src/coord/archive.ts';
import { closeJob, closingResult } from '../../src/coord/close-job.ts';
import { writeRecord } from '../../src/coord/records.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { JOB, newJob } from '../../src/protocol/job.ts';
import { jobRef, liveRefspecs } from '../../src/protocol/refs.ts';
import { memoryCoord } from '../helpers/memory.ts';
import { ManualClock, tempDir } from '../helpers/temp.ts';

async function logs(coord: string, stateDir: string, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['logs', '--coord', coord, '--state-dir', stateDir, ...args], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, isTTY: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('refci logs prints a finished job\'s step logs, live and after it is archived; unknown jobs and steps are named', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { coord, clone } = await memoryCoord(t, dir, clock);
  const author = { name: 'test', email: 'test@refci.invalid', timeMs: clock.now() };
  const job = newJob({ repo: 'https://example.org/r', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', pr: 4, createdAt: '2026-01-01T00:00:00Z' });
  const jobOid = await writeRecord(clone.gitdir, JOB, job, { parents: [], author });
  t.true((await clone.push([{ ref: jobRef(job.id), newOid: jobOid, expect: null }])).won);
  const result = {
    ...closingResult(job.id, 'failure', 'step build exited with 2', 'w1', 1, clock.now()),
    steps: [
      { name: 'build', argv: ['make'], exitCode: 2, signal: null, timedOut: false, cancelled: false, durationMs: 1500, log: 'logs/build.log', logBytes: 30, logTruncated: false, sandboxed: false },
      { name: 'lint', argv: ['lint'], exitCode: 0, signal: null, timedOut: false, cancelled: false, durationMs: 200, log: 'logs/lint.log', logBytes: 3, logTruncated: false, sandboxed: false },
    ],
  };
  const artifacts = { 'logs/build.log': 'cc -c a.c\na.c:1: error: oops\n', 'logs/lint.log': 'ok\n' };
  t.true(await closeJob(clone, { result, artifacts, parent: jobOid, actor: 'w1', clock }));

  const state = path.join(dir, 'state');
  const live = await logs(coord, state, [job.id]);
  t.is(live.code, 0, live.err);
  t.is(
    live.out,
    `${job.id}: failure: step build exited with 2 (not archived yet)\n== build (exit 2, 2s) ==\ncc -c a.c\na.c:1: error: oops\n== lint (exit 0, 0s) ==\nok`,
  );

  await clone.fetch(liveRefspecs({ history: true }));
  const snapshot = await readSnapshot(clone);
  const summary = { version: 1 as const, job: job.id, verdict: 'failure' as const, reason: 'x', archivedAt: '2026-01-01T00:00:00Z', resultCommit: snapshot.get(job.id)!.result!.oid, reports: [] };
  t.true((await archiveJob(clone, snapshot.get(job.id)!, summary, {}, 'collector', clock)).won);
  const archived = await logs(coord, state, [job.id, '--step', 'lint']);
  t.is(archived.out, `${job.id}: failure: step build exited with 2 (archived)\n== lint (exit 0, 0s) ==\nok`);

  const noStep = await logs(coord, state, [job.id, '--step', 'deploy']);
  t.is(noStep.code, 5);
  t.regex(noStep.err, /job \S+ has no step deploy.*its steps: build, lint/);
  const unknown = await logs(coord, state, ['no-such-job']);
  t.is(unknown.code, 5);
  const bad = await logs(coord, state, ['../etc']);
  t.is(bad.code, 2);
});

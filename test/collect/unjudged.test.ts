import test from 'ava';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';
import { unjudgedReason } from '../../src/collect/unjudged.ts';
import { closeJob, closingResult } from '../../src/coord/close-job.ts';
import { writeRecord } from '../../src/coord/records.ts';
import { JOB, newJob } from '../../src/protocol/job.ts';
import { jobRef } from '../../src/protocol/refs.ts';
import { memoryCoord } from '../helpers/memory.ts';
import { ManualClock, tempDir } from '../helpers/temp.ts';

const passed = (details: Record<string, unknown> = {}) => ({ status: 'success' as const, details });

test('a run that passed is judged only by a pipeline the collector knows, of the kind that ran it', (t) => {
  t.is(unjudgedReason('check', 'steps', passed()), undefined);
  t.is(unjudgedReason('gentoo', 'gentoo', passed({ scans: { merged: [], base: [] } })), undefined);
  t.regex(unjudgedReason('gone', undefined, passed())!, /^pipeline gone is not in the collector's configuration, so its result was not judged: restore pipeline gone .* refci retry$/);
  t.regex(unjudgedReason('qa', 'steps', passed({ scans: { merged: [['app-misc/hello']], base: [] } }))!, /^pipeline qa ran pkgcheck scans, but the collector's configuration has it as kind steps, which does not compare findings/);
  // A failed or stopped run is never published green: its own reason stays.
  t.is(unjudgedReason('gone', undefined, { status: 'failure', details: {} }), undefined);
  t.is(unjudgedReason('gone', undefined, { status: 'cancelled', details: {} }), undefined);
});

test('refci collect gives "error", never the worker\'s "all steps passed", for a job whose pipeline left the configuration', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { coord, clone } = await memoryCoord(t, dir, clock);
  const author = { name: 'test', email: 'test@refci.invalid', timeMs: clock.now() };
  const finish = async (pipeline: string, details: Record<string, unknown>) => {
    const job = newJob({ repo: 'https://example.org/r', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline, pr: 4, createdAt: '2026-01-01T00:00:00Z' });
    const jobOid = await writeRecord(clone.gitdir, JOB, job, { parents: [], author });
    t.true((await clone.push([{ ref: jobRef(job.id), newOid: jobOid, expect: null }])).won);
    const result = { ...closingResult(job.id, 'success', 'all 6 steps passed', 'w1', 1, clock.now()), details };
    t.true(await closeJob(clone, { result, artifacts: {}, parent: jobOid, actor: 'w1', clock }));
    return job.id;
  };
  const gone = await finish('renamed-away', { scans: { merged: [['app-misc/hello']], base: [['app-misc/hello']] } });
  const noop = await finish('noop', {});

  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {}, isTTY: false };
  t.is(await main(['collect', '--coord', coord, '--once', '--out', path.join(dir, 'reports'), '--state-dir', path.join(dir, 'state')], io), 0, err.join('\n'));
  out.length = 0;
  t.is(await main(['log', '--coord', coord, '--json', '--state-dir', path.join(dir, 'state')], io), 0, err.join('\n'));
  const verdicts = new Map((JSON.parse(out.join('\n')) as { job: string; verdict: string; reason: string }[]).map((entry) => [entry.job, entry]));
  t.is(verdicts.get(gone)?.verdict, 'error');
  t.regex(verdicts.get(gone)!.reason, /pipeline renamed-away is not in the collector's configuration/);
  t.is(verdicts.get(noop)?.verdict, 'success');
});

import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { Lease } from '../../src/claim/lease.ts';
import { LogPrinter } from '../../src/cli/log-printer.ts';
import { main } from '../../src/cli/main.ts';
import { archiveJob } from '../../src/coord/archive.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { closeJob, closingResult } from '../../src/coord/close-job.ts';
import { followJobLogs } from '../../src/coord/follow-logs.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { CappedBuffer } from '../../src/host/capped-buffer.ts';
import { isoOf } from '../../src/host/clock.ts';
import { newJob } from '../../src/protocol/job.ts';
import { LiveLogTails } from '../../src/protocol/live-log.ts';
import { jobRef, liveRefspecs } from '../../src/protocol/refs.ts';
import type { StepReport } from '../../src/protocol/result.ts';
import { memoryRepository } from '../helpers/memory.ts';
import { ManualClock, tempDir } from '../helpers/temp.ts';

/**
 * A worker driven by hand: its lease, the live tails its heartbeats carry,
 * and each step's whole log as the result will keep it. No timers: the test
 * decides when a heartbeat happens.
 */
async function handWorker(t: ExecutionContext, liveCap = 64 * 1024, logCap = 256 * 1024) {
  // Held in process: this file is about logs in the records, not about git's transport.
  const repository = memoryRepository(t);
  const coord = repository.url;
  const dir = tempDir(t);
  const clock = new ManualClock();
  const clone = await CoordClone.open(path.join(dir, 'worker.git'), coord);
  const job = newJob({ repo: 'https://example.org/r', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'noop', createdAt: isoOf(clock.now()) });
  await enqueueJobs({ clone, clock, by: 'test' }, [job]);
  const jobOid = repository.tip(jobRef(job.id))!;
  let tails = new LiveLogTails(liveCap);
  const logs = new Map<string, CappedBuffer>();
  let lease: Lease | undefined;
  const hand = {
    coord,
    job,
    clock,
    follower: () => CoordClone.open(path.join(dir, `follower-${Math.random().toString(16).slice(2)}.git`), coord),
    async claim(attempt = 1, worker = 'w1') {
      const expect = lease?.tip ?? null;
      const claimed = await Lease.acquire(clone, { id: worker, host: 'h', leaseSec: 30, tools: {} }, { id: job.id, job, jobOid, attempt, expect, previousWorker: lease?.worker.id }, clock);
      if (!claimed) throw new Error('the claim did not win');
      lease = claimed;
      tails = new LiveLogTails(liveCap);
      logs.clear();
    },
    print(step: string, text: string) {
      tails.write(step, Buffer.from(text));
      if (!logs.has(step)) logs.set(step, new CappedBuffer(logCap));
      logs.get(step)!.push(Buffer.from(text));
    },
    end: (step: string) => tails.end(step),
    async heartbeat() {
      clock.advance(10_000);
      const renewed = await lease!.renew(tails.files());
      if (renewed.state !== 'held') throw new Error(`heartbeat: ${renewed.state}`);
    },
    async finish() {
      const steps: StepReport[] = [...logs].map(([name, log]) => ({
        name, argv: [name], exitCode: 0, signal: null, timedOut: false, cancelled: false, durationMs: 1000, log: `logs/${name}.log`, logBytes: log.total, logTruncated: log.truncated, sandboxed: false,
      }));
      const result = { ...closingResult(job.id, 'success', `all ${steps.length} steps passed`, lease!.worker.id, lease!.claim.attempt, clock.now()), steps };
      const artifacts = Object.fromEntries([...logs].map(([name, log]) => [`logs/${name}.log`, log.contents()]));
      if (!(await closeJob(clone, { result, artifacts, parent: lease!.tip, lockTip: lease!.tip, actor: lease!.worker.id, clock }))) throw new Error('the result lost');
      return artifacts;
    },
  };
  return hand;
}

/** Follows the job with a scripted wait: each wait runs the next action, as if a heartbeat came while the follower slept. */
async function follow(clone: CoordClone, id: string, actions: (() => Promise<unknown>)[], options: { step?: string } = {}) {
  const lines: string[] = [];
  /** What had been printed when each action ran. */
  const before: string[][] = [];
  const ended = await followJobLogs({
    clone,
    id,
    view: new LogPrinter(id, (line) => lines.push(...line.split('\n')), { follow: true, step: options.step }),
    wait: async () => {
      before.push([...lines]);
      const next = actions.shift();
      if (!next) throw new Error('the follower kept waiting after the last action');
      await next();
    },
    pollMs: { min: 1, max: 1 },
  });
  return { ended, lines, before };
}

/** Each step's text: the lines under its `== step ... ==` headings, joined, with the line break printing adds. */
function stepTexts(lines: string[]): Map<string, string> {
  const texts = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of lines) {
    const heading = /^== (\S+)(?: \(.*\))? ==$/.exec(line);
    if (heading) current = heading[1];
    else if (/^\S+: /.test(line) && !line.startsWith('[refci:')) current = undefined;
    else if (current) texts.set(current, [...(texts.get(current) ?? []), line]);
  }
  return new Map([...texts].map(([step, parts]) => [step, `${parts.join('\n')}\n`]));
}

test('following a job prints its output as heartbeats carry it, then what the result adds, and its log equals the result\'s', async (t) => {
  const hand = await handWorker(t);
  const follower = await hand.follower();
  let artifacts: Record<string, Uint8Array> = {};
  const { ended, lines, before } = await follow(follower, hand.job.id, [
    () => hand.claim(),
    async () => {
      hand.print('build', 'compiling a\ncompiling b\nhalf a li');
      await hand.heartbeat();
    },
    // Nothing new: the follower prints nothing.
    () => hand.heartbeat(),
    async () => {
      hand.print('build', 'ne\nlinked\n');
      hand.end('build');
      hand.print('test', 'ok 1\n');
      await hand.heartbeat();
    },
    async () => {
      hand.print('test', 'ok 2\n');
      hand.end('test');
      artifacts = await hand.finish();
    },
  ]);
  t.is(ended, 'ended');
  const id = hand.job.id;
  t.deepEqual(before[1], [`${id}: queued, waiting for a worker`, `${id}: running, attempt 1 by w1`]);
  // Shown before the job ended, and never half a line while its step runs.
  t.deepEqual(before[2].slice(2), ['== build (running) ==', 'compiling a', 'compiling b']);
  t.deepEqual(before[3], before[2]);
  t.deepEqual(before[4].slice(before[2].length), ['half a line', 'linked', '== test (running) ==', 'ok 1']);
  t.deepEqual(lines.slice(before[4].length), ['== build (exit 0, 1s) ==', '== test (exit 0, 1s) ==', 'ok 2', `${id}: success: all 2 steps passed`]);
  const texts = stepTexts(lines);
  for (const step of ['build', 'test']) t.is(texts.get(step), Buffer.from(artifacts[`logs/${step}.log`]!).toString(), step);
});

test('a follower that missed more than a tail holds says how much, and a takeover starts the output over', async (t) => {
  const hand = await handWorker(t, 32);
  const follower = await hand.follower();
  const { lines } = await follow(follower, hand.job.id, [
    async () => {
      await hand.claim();
      hand.print('build', 'first\n');
      await hand.heartbeat();
    },
    async () => {
      hand.print('build', `${'x'.repeat(50)}\nnear the end\nthe end\n`);
      await hand.heartbeat();
    },
    async () => {
      await hand.claim(2, 'w2');
      hand.print('build', 'again\n');
      await hand.heartbeat();
    },
    () => hand.finish(),
  ]);
  const id = hand.job.id;
  t.deepEqual(lines, [
    `${id}: queued, waiting for a worker`,
    `${id}: running, attempt 1 by w1`,
    '== build (running) ==',
    'first',
    '[refci: ... 51 bytes not shown ...]',
    'near the end',
    'the end',
    `${id}: running, attempt 2 by w2`,
    '== build (running) ==',
    'again',
    '== build (exit 0, 1s) ==',
    `${id}: success: all 1 steps passed`,
  ]);
});

test('--step follows one step; a job archived between two looks ends the follow from the history', async (t) => {
  const hand = await handWorker(t);
  const follower = await hand.follower();
  const { ended, lines } = await follow(
    follower,
    hand.job.id,
    [
      async () => {
        await hand.claim();
        hand.print('build', 'b1\n');
        hand.end('build');
        hand.print('test', 't1\n');
        await hand.heartbeat();
      },
      async () => {
        hand.print('test', 't2\n');
        await hand.finish();
        const collector = await hand.follower();
        await collector.fetch(liveRefspecs({ history: true }));
        const live = (await readSnapshot(collector)).get(hand.job.id)!;
        const summary = { version: 1 as const, job: hand.job.id, verdict: 'success' as const, reason: 'ok', archivedAt: isoOf(hand.clock.now()), resultCommit: live.result!.oid, reports: [] };
        if (!(await archiveJob(collector, live, summary, {}, 'collector', hand.clock)).won) throw new Error('the archive lost');
      },
    ],
    { step: 'test' },
  );
  t.is(ended, 'ended');
  const id = hand.job.id;
  t.deepEqual(lines, [`${id}: queued, waiting for a worker`, `${id}: running, attempt 1 by w1`, '== test (running) ==', 't1', '== test (exit 0, 1s) ==', 't2', `${id}: success: all 2 steps passed`]);
});

test('following a job that does not exist is one clear error, before any wait', async (t) => {
  const hand = await handWorker(t);
  const follower = await hand.follower();
  const error = await t.throwsAsync(follow(follower, 'no-such-job', []));
  t.regex(error!.message, /no job no-such-job in the coordination repository: not queued, running or archived/);
});

test('refci logs without --follow shows a running job\'s live log as of its last heartbeat, and a queued job as queued', async (t) => {
  const hand = await handWorker(t);
  const state = path.join(tempDir(t), 'state');
  const logs = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['logs', '--coord', hand.coord, '--state-dir', state, ...args], { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, isTTY: false });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const id = hand.job.id;
  t.deepEqual(await logs([id]), { code: 0, out: `${id}: queued, waiting for a worker`, err: '' });
  await hand.claim();
  t.deepEqual(await logs([id]), { code: 0, out: `${id}: running, attempt 1 by w1 (live log as of its last heartbeat: no output yet; --follow follows it)`, err: '' });
  hand.print('build', 'one\ntwo');
  await hand.heartbeat();
  const running = await logs([id]);
  t.is(running.out, `${id}: running, attempt 1 by w1 (live log as of its last heartbeat; --follow follows it)\n== build (running) ==\none\ntwo`);
  for (const args of [['nope'], ['nope', '--follow']]) {
    const unknown = await logs(args);
    t.is(unknown.code, 5);
    t.regex(unknown.err, /^refci logs: no job nope in the coordination repository: not queued, running or archived/);
    t.is(unknown.err.split('\n').length, 1);
  }
});

test('a follow that is stopped while the job waits ends quietly', async (t) => {
  const hand = await handWorker(t);
  const stop = new AbortController();
  const lines: string[] = [];
  const ended = await followJobLogs({
    clone: await hand.follower(),
    id: hand.job.id,
    view: new LogPrinter(hand.job.id, (line) => lines.push(line), { follow: true }),
    wait: async () => stop.abort(),
    stop: stop.signal,
  });
  t.is(ended, 'stopped');
  t.deepEqual(lines, [`${hand.job.id}: queued, waiting for a worker`]);
});

import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { git } from '../../src/git/runner.ts';
import { startRefci } from '../helpers/cli.ts';
import { enqueuePr, scenario } from '../helpers/coord.ts';

// Fake secrets in the shapes of real ones.
const TOKEN = `ghp_${'R4nd0mL00k1ng'.repeat(3)}`;
const PASSWORD = 'hunter2-not-a-real-one';
const BEARER = `eyJ${'fakebearerpart'.repeat(3)}`;

/**
 * Prints, then waits for the test's go file (at most a minute), then prints
 * again. The secrets are put together as it runs: the step's argv is in the
 * result, and must not be what holds them.
 */
const TALK = [
  'const fs = require("fs");',
  'const join = (...parts) => parts.join("");',
  'console.log("line 1");',
  `console.log("token " + join(${JSON.stringify(TOKEN.slice(0, 6))}, ${JSON.stringify(TOKEN.slice(6))}));`,
  `console.log("clone https://bot:" + join(${JSON.stringify(PASSWORD.slice(0, 4))}, ${JSON.stringify(PASSWORD.slice(4))}) + "@example.org/r.git");`,
  `console.error("Authorization: Bearer " + join(${JSON.stringify(BEARER.slice(0, 5))}, ${JSON.stringify(BEARER.slice(5))}));`,
  'const started = Date.now();',
  'const timer = setInterval(() => {',
  '  if (!fs.existsSync(process.env.GO) && Date.now() - started < 60000) return;',
  '  clearInterval(timer);',
  '  console.log("line 2");',
  '}, 20);',
].join('\n');

/** 100 lines of 33 bytes, more than the live tail of 1 KiB holds. */
const BIG = 'for (let i = 0; i < 100; i++) console.log("big " + String(i).padStart(3, "0") + " " + "x".repeat(24));';

test('refci logs --follow prints a running step\'s lines before the job ends and then the result\'s rest; tails are capped, secrets never stored', async (t) => {
  const s = await scenario(t, 'file', 1, {
    liveLogBytes: 1024,
    pipelines: {
      talk: {
        kind: 'steps',
        checkout: false,
        steps: [
          { name: 'big', run: ['node', '-e', BIG], timeoutSec: 60 },
          { name: 'talk', run: ['node', '-e', TALK], timeoutSec: 120, env: { GO: '' } },
        ],
      },
    },
  });
  // The go file's path is only known now: write it into the step's env.
  const go = path.join(s.dir, 'go');
  const config = JSON.parse(fs.readFileSync(s.configFile, 'utf8'));
  config.pipelines.talk.steps[1].env.GO = go;
  fs.writeFileSync(s.configFile, JSON.stringify(config));

  const enqueued = await enqueuePr(s, 1, 'talk');
  t.is(enqueued.exitCode, 0, enqueued.stderr);
  const id = enqueued.stdout.trim();
  // The coordination repository as a path: the follower wakes on each of its ref changes.
  const follower = startRefci(['logs', '--coord', s.coordPath, id, '--follow', '--state-dir', path.join(s.dir, 'follower')], { env: s.env });
  const worker = startRefci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1', '--config', s.configFile], { env: s.env });
  t.teardown(() => {
    fs.writeFileSync(go, '');
    worker.stop();
    follower.stop();
  });

  // The step is still waiting for the go file: whatever the follower shows now came from the lock chain.
  t.true(await follower.waitForLine('line 1'), follower.stdout.join('\n') + follower.stderr.join('\n'));
  const live = [...follower.stdout];
  t.false(live.some((line) => line.includes('line 2') || line.includes('success')));
  fs.writeFileSync(go, '');
  const followed = await follower.result;
  const work = await worker.result;
  t.is(work.exitCode, 0, work.stderr);
  t.is(followed.exitCode, 0, followed.stderr);
  t.regex(followed.stdout, new RegExp(`${id}: success: all 2 steps passed\n?$`));

  // What was printed for the talk step, live and after, is its result log.
  const resultLog = (step: string) => git(['cat-file', 'blob', `refs/ci/results/${id}:logs/${step}.log`], { cwd: s.coordPath }).then((out) => out.stdout);
  const talk = await resultLog('talk');
  t.is(talk, `line 1\ntoken ghp_[redacted]\nclone https://bot:[redacted]@example.org/r.git\nAuthorization: [redacted]\nline 2\n`);
  t.is(`${sectionOf(followed.stdout.split('\n'), 'talk').join('\n')}\n`, talk);
  t.is((await resultLog('big')).length, 3300, 'the result keeps the whole capped log');

  // Every heartbeat's tails are within liveLogBytes; at least one carried the big step.
  const commits = (await git(['rev-list', `refs/ci/results/${id}`], { cwd: s.coordPath })).stdout.trim().split('\n');
  let tails = 0;
  for (const commit of commits) {
    const tree = (await git(['ls-tree', '-r', '-l', commit], { cwd: s.coordPath })).stdout;
    if (!tree.includes('live-logs.json')) continue;
    for (const line of tree.split('\n').filter((entry) => entry.endsWith('.log'))) {
      const size = Number(line.split(/\s+/)[3]);
      t.true(size <= 1024, line);
      if (line.endsWith('logs/big.log')) tails += 1;
    }
  }
  t.true(tails > 0, 'a heartbeat carried the big step\'s tail');

  // No object of the coordination repository holds a secret, reachable or not.
  const everything = [
    (await git(['log', '--all', '-p', '--format=%B'], { cwd: s.coordPath })).stdout,
    (await git(['cat-file', '--batch-all-objects', '--batch'], { cwd: s.coordPath })).stdout,
  ].join('\n');
  t.true(everything.includes('ghp_[redacted]'), 'the scan sees log contents');
  for (const secret of [TOKEN, PASSWORD, BEARER]) t.false(everything.includes(secret), secret);
});

/** The lines printed under one step's `== step ... ==` headings. */
function sectionOf(lines: string[], step: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    const heading = /^== (\S+)(?: \(.*\))? ==$/.exec(line);
    if (heading) inside = heading[1] === step;
    else if (/^\S+: (queued|running|success|failure|error|cancelled)/.test(line)) inside = false;
    else if (inside) out.push(line);
  }
  return out;
}

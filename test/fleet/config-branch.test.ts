import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { git } from '../../src/git/runner.ts';
import { refci, startRefci } from '../helpers/cli.ts';
import { enqueuePr, scenario } from '../helpers/coord.ts';
import { editConfig, readJson, readText, refExists, subjectsOf, waitFor } from './helpers.ts';

const hello = (word: string) => ({ kind: 'steps', checkout: false, steps: [{ name: 'say', run: ['node', '-e', `console.log(${JSON.stringify(word)})`], timeoutSec: 60 }] });

test('refci init writes a valid configuration branch that git clone checks out', async (t) => {
  const s = await scenario(t, 'file', 1);
  t.true(await refExists(s, 'refs/heads/config'));
  t.is((await git(['symbolic-ref', 'HEAD'], { cwd: s.coordPath })).stdout.trim(), 'refs/heads/config');
  const check = await refci(['config', 'check', '--coord', s.coord], { env: s.env });
  t.is(check.exitCode, 0, check.stderr);
  t.regex(check.stdout, /valid \(3 pipelines: noop, check, gentoo\)/);
  // config init on a repository that has the branch leaves it alone.
  const again = await refci(['config', 'init', '--coord', s.coord], { env: s.env });
  t.regex(again.stdout, /exists already/);
});

test('config check FILE refuses an invalid file with file, field and reason', async (t) => {
  const s = await scenario(t, 'file', 0);
  const file = path.join(s.dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ leaseSec: 'soon', pipelines: { x: { kind: 'steps', checkout: false, steps: [], tool: ['git'] } } }));
  const out = await refci(['config', 'check', file]);
  t.is(out.exitCode, 3);
  t.regex(out.stderr, /^config\.json field leaseSec: Invalid input: expected number, received string$/m);
  t.regex(out.stderr, /^config\.json field pipelines\.x\.tool: unknown field \(a typo\?\)$/m);
});

test('a running worker follows the configuration branch: a pushed change is used without restart, an invalid one is refused while work goes on', async (t) => {
  const s = await scenario(t, 'memory', 3);
  const initial = s.memory!.tip('refs/heads/config')!;
  const daemon = startRefci(['work', '--coord', s.coord, '--worker-id', 'w1', '--poll-max', '1'], { env: s.env });
  t.teardown(async () => {
    daemon.stop();
    await daemon.result;
  });
  await waitFor('the worker to announce itself', () => refExists(s, 'refs/ci/workers/w1'));

  // 1. A new pipeline, added with plain git: the running worker picks it up.
  const valid = await editConfig(s, (c) => (c.pipelines.hello = hello('hello')), 'add the hello pipeline');
  const first = (await enqueuePr(s, 1, 'hello')).stdout.trim();
  await waitFor('the hello job to finish', () => refExists(s, `refs/ci/results/${first}`));
  const job = await readJson(s, `refs/ci/jobs/${first}:job.json`);
  const result = await readJson(s, `refs/ci/results/${first}:result.json`);
  t.is(job.configCommit, valid, 'the job names the configuration it was enqueued under');
  t.is(result.status, 'success');
  t.is(result.configCommit, valid, 'the result names the configuration it ran under');

  // 2. An invalid change (a misspelt field) is refused; the worker keeps the last valid one and goes on working.
  const invalid = await editConfig(
    s,
    (c) => {
      c.pipelines.hello = hello('changed');
      c.pipelines.hello.steps[0].timeOutSec = 5;
    },
    'a typo',
  );
  const second = (await enqueuePr(s, 2, 'hello')).stdout.trim();
  await waitFor('the second hello job to finish', () => refExists(s, `refs/ci/results/${second}`));
  const secondJob = await readJson(s, `refs/ci/jobs/${second}:job.json`);
  const secondResult = await readJson(s, `refs/ci/results/${second}:result.json`);
  t.is(secondJob.configCommit, invalid);
  t.is(secondResult.status, 'success');
  t.is(secondResult.configCommit, valid, 'ran under the last valid configuration');
  const log = await readText(s, `refs/ci/results/${second}:logs/say.log`);
  t.is(log.trim(), 'hello');
  const check = await refci(['config', 'check', '--coord', s.coord], { env: s.env });
  t.is(check.exitCode, 3);
  t.regex(check.stderr, /config\.json field pipelines\.hello\.steps\.0\.timeOutSec: unknown field \(a typo\?\)/);

  // 3. Fixing it is one more commit; the worker takes it.
  const fixed = await editConfig(s, (c) => delete c.pipelines.hello.steps[0].timeOutSec, 'fix the typo');
  const third = (await enqueuePr(s, 3, 'hello')).stdout.trim();
  await waitFor('the third hello job to finish', () => refExists(s, `refs/ci/results/${third}`));
  t.is((await readJson(s, `refs/ci/results/${third}:result.json`)).configCommit, fixed);

  daemon.stop();
  const done = await daemon.result;
  const out = done.stdout;
  t.regex(out, new RegExp(`configuration ${initial.slice(0, 12)} in use`));
  t.regex(out, new RegExp(`configuration ${valid.slice(0, 12)} in use \\(was ${initial.slice(0, 12)}\\)`));
  t.regex(out, new RegExp(`configuration ${invalid.slice(0, 12)} refused: config\\.json field pipelines\\.hello\\.steps\\.0\\.timeOutSec: unknown field \\(a typo\\?\\); keeping configuration ${valid.slice(0, 12)}`));
  t.is(out.match(/refused/g)?.length, 1, 'a refused commit is reported once');
  t.regex(out, /ran 3 job\(s\), published 3/);
  // Presence: a chain of commits, the last one saying the worker stopped.
  const presence = await readJson(s, 'refs/ci/workers/w1:worker.json');
  t.is(presence.state, 'stopped');
  t.is(presence.configCommit, fixed);
  const chain = await subjectsOf(s, 'refs/ci/workers/w1');
  // Pushed when what the worker can do changed (the hello pipeline came), not for each of its three jobs.
  // gentoo is not among them: pkgcheck and pmaint do not answer on this host.
  t.regex(chain.join('\n'), /presence w1: idle, pipelines noop,check,hello/);
  t.false(chain.some((line) => line.includes(' running ')), chain.join('\n'));
  t.is(chain.length, presence.seq);
});

/**
 * Real network partitions. A host (worker, collector, enqueue) runs in a
 * network namespace of the test's own and reaches the coordination
 * repository through a git daemon in a second namespace, over a veth pair;
 * hosts in the root namespace reach the same repository on disk. The test
 * takes the cut host's link down mid-operation and brings it back, and
 * checks what the protocol promises: a lease ends when its holder goes
 * silent and the job is finished by another worker, whose result stands; a
 * late push of the cut host is refused, never a second result; an archive or
 * an enqueue whose connection broke is done exactly once or not at all, and
 * the command says which. Leases are a few seconds long (the scenario's
 * configuration) so that the test stays short.
 *
 * Where network namespaces cannot be made (not root, no CAP_NET_ADMIN, no
 * `ip`), every test here is skipped with the reason in its title.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { git } from '../../src/git/runner.ts';
import { assertBuiltFrom } from '../helpers/built-cli.ts';
import { REFCI, refci, ROOT } from '../helpers/cli.ts';
import { cronUntilResult, enqueuePr, liveRefs, scenario, type Scenario } from '../helpers/coord.ts';
import { gitDaemonIn, netnsUnusable, partition, type Partition } from '../helpers/netns.ts';

const why = netnsUnusable();
const real = why ? test.skip : test;
const skipped = why ? ` [skipped: ${why}]` : '';
// The cut hosts run the built CLI in their namespace: an old build would test old code.
if (!why) assertBuiltFrom(ROOT);

/** The scenario, and the same repository served to the cut host from the other side of the partition. */
async function partitioned(t: ExecutionContext, prs: number, config: object = {}) {
  const s = await scenario(t, 'file', prs, { leaseSec: 3, ...config });
  const p = await partition(t);
  const url = (await gitDaemonIn(p, s.dir))('coord.git');
  return { s, p, url };
}

/** Runs refci in the cut host's namespace with its own state folder. */
function refciIn(p: Partition, s: Scenario, name: string, args: string[], env: Record<string, string> = {}) {
  return p.spawn(p.host, [process.execPath, REFCI, ...args], { ...s.env, REFCI_STATE_DIR: path.join(s.dir, `state-${name}`), ...env });
}

async function tip(s: Scenario, ref: string): Promise<string | undefined> {
  const out = await git(['rev-parse', '--verify', '--quiet', ref], { cwd: s.coordPath, allowFailure: true });
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

async function subjects(s: Scenario, ref: string, firstParent = false): Promise<string[]> {
  const out = await git(['log', '--format=%s', ...(firstParent ? ['--first-parent'] : []), ref], { cwd: s.coordPath });
  return out.stdout.split('\n').filter(Boolean);
}

/**
 * Holds the next push that touches a ref matching `pattern` inside the
 * repository's receive-pack, at `when`: `before` its refs change (the
 * pre-receive hook) or `after` they changed (the reference-transaction
 * hook, once committed). Once the test has cut the link it releases the
 * push, and receive-pack dies there: the pusher never hears back, and the
 * push either did nothing or landed. `held` resolves once the push waits.
 */
function holdPush(s: Scenario, when: 'before' | 'after', pattern: string) {
  const [hook, guard] = when === 'before' ? ['pre-receive', ''] : ['reference-transaction', '[ "$1" = committed ] || exit 0\n'];
  const file = path.join(s.coordPath, 'hooks', hook);
  fs.writeFileSync(
    file,
    '#!/bin/sh\n' +
      guard +
      '[ -e hold ] || { cat >/dev/null; exit 0; }\n' +
      `grep -Eq '${pattern}' || exit 0\n` +
      // One push only: the next ones (the retry after the link came back) go through.
      'rm -f hold; touch held\n' +
      'i=0; while [ ! -e release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n' +
      'touch dropped; kill -9 $PPID\n',
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(s.coordPath, 'hold'), '');
  const flag = (name: string) => path.join(s.coordPath, name);
  const appears = async (name: string, what: string) => {
    for (let i = 0; i < 600 && !fs.existsSync(flag(name)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!fs.existsSync(flag(name))) throw new Error(what);
  };
  return {
    held: () => appears('held', `no push reached the ${hook} hook`),
    /** Lets receive-pack go on to its death; resolves once it is dying, so that it ends while the link is still down. */
    drop: async () => {
      fs.writeFileSync(flag('release'), '');
      fs.rmSync(file);
      await appears('dropped', 'the held push was not dropped');
    },
  };
}

real(`a worker cut off mid-job: its lease runs out, a root-namespace worker finishes the job, the cut worker's late push is refused and it goes on with other work${skipped}`, async (t) => {
  const { s, p, url } = await partitioned(t, 2);
  const first = (await enqueuePr(s, 1, 'sleep')).stdout.trim();
  const cut = refciIn(p, s, 'cut', ['work', '--coord', url, '--worker-id', 'cut', '--config', s.configFile, '--poll-max', '1'], { SLEEP_MS: '600000' });
  t.true(await cut.waitFor(`${first}: claimed by cut, attempt 1`), cut.output.stdout + cut.output.stderr);

  await p.cut();
  t.true(await cut.waitFor(`${first}: heartbeat failed, will retry`), 'the cut worker notices');
  const rescue = await cronUntilResult(s, first, 'rescuer');
  t.regex(rescue, new RegExp(`${first}: claimed by rescuer, attempt 2`));
  t.regex(rescue, new RegExp(`${first}: success`));
  const second = (await enqueuePr(s, 2, 'noop')).stdout.trim();

  await p.heal();
  // Its next heartbeat names a lock tip the repository no longer has: refused, the lease is lost, the step stopped.
  t.true(await cut.waitFor(`${first}: lease lost to another worker; result discarded`), cut.output.stdout);
  t.true(await cut.waitFor(`${second}: success`), cut.output.stdout + cut.output.stderr);
  cut.process.kill('SIGTERM');
  const ended = await cut.process;
  t.is(ended.exitCode, 0, String(ended.stderr));
  t.regex(cut.output.stdout, /cut: ran 2 job\(s\), published 1, lost 1/);
  t.notRegex(cut.output.stdout, new RegExp(`${first}: (success|result not pushed|result rejected)`));

  const result = JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${first}:result.json`], { cwd: s.coordPath })).stdout);
  t.is(result.worker, 'rescuer');
  t.is(result.attempt, 2);
  const chain = await subjects(s, `refs/ci/results/${first}`);
  t.is(chain.filter((line) => line.startsWith('result ')).length, 1, chain.join('\n'));
  t.true(chain.some((line) => line === `takeover ${first} by rescuer from cut, attempt 2, lease 3s`), chain.join('\n'));
  t.is(JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${second}:result.json`], { cwd: s.coordPath })).stdout).worker, 'cut');
});

// The archive that landed although its pusher never heard so: the case that could archive a job twice. (One that never
// landed is retried like any archive that lost; the enqueue tests below cover a push that never landed.)
real(`a collector cut off mid-archive (the archive landed, its answer was lost): the job is archived exactly once once the link is back${skipped}`, async (t) => {
  const { s, p, url } = await partitioned(t, 1);
  const id = (await enqueuePr(s, 1, 'noop')).stdout.trim();
  const work = await refci(['work', '--coord', s.coord, '--once', '--worker-id', 'w1', '--config', s.configFile], { env: s.env });
  t.regex(work.stdout, new RegExp(`${id}: success`));
  const hold = holdPush(s, 'after', ' refs/ci/history$');

  const collector = refciIn(p, s, 'collector', ['collect', '--coord', url, '--once', '--out', path.join(s.dir, 'reports'), '--config', s.configFile]);
  await hold.held();
  await p.cut();
  await hold.drop();
  await p.heal();
  const first = await collector.process;
  // It says what happened: archived, though the answer was lost; not "not archived".
  t.regex(collector.output.stdout, new RegExp(`${id}: success: .* \\(archived; the push's answer was lost: git push git://169\\.254\\.77\\.1/coord\\.git failed: fatal: the remote end hung up unexpectedly\\)`), collector.output.stdout + collector.output.stderr);
  t.regex(collector.output.stdout, /collector: archived 1 job/);
  t.is(first.exitCode, 0, collector.output.stderr);

  // The next run (from the root namespace) finds the job archived and leaves it.
  const again = await refci(['collect', '--coord', s.coord, '--once', '--verbose', '--out', path.join(s.dir, 'reports'), '--config', s.configFile], { env: { ...s.env, REFCI_STATE_DIR: path.join(s.dir, 'state-c2') } });
  t.is(again.exitCode, 0, again.stderr);
  t.regex(again.stdout, /archived 0 job/, JSON.stringify(again));
  const archives = (await subjects(s, 'refs/ci/history', true)).filter((line) => line.startsWith(`archive ${id}`));
  t.is(archives.length, 1, archives.join('\n'));
  t.deepEqual(await liveRefs(s.coordPath), ['refs/ci/history']);
});

for (const when of ['before', 'after'] as const) {
  const landed = when === 'after';
  real(`an enqueue cut off mid-push (${landed ? 'the push landed, its answer was lost' : 'the push never landed'}): the jobs are there whole or not at all, and the command says which${skipped}`, async (t) => {
    const { s, p, url } = await partitioned(t, 2);
    const older = (await enqueuePr(s, 1, 'noop')).stdout.trim();
    const hold = holdPush(s, when, ' refs/ci/jobs/');
    // A newer head for PR 1: the new job and the cancel of the older one go in one atomic push.
    const enqueue = refciIn(p, s, 'enqueue', ['enqueue', '--coord', url, '--repo', s.source.path, '--base', 'master', '--head', 'pr/2', '--pr', '1', '--pipeline', 'noop']);
    await hold.held();
    await p.cut();
    await hold.drop();
    await p.heal();
    const ended = await enqueue.process;
    const out = { exitCode: ended.exitCode, ...enqueue.output };
    const newer = (await refci(['enqueue', '--coord', s.coord, '--repo', s.source.path, '--base', 'master', '--head', 'pr/2', '--pr', '1', '--pipeline', 'noop', '--json'], { env: s.env })).stdout;
    const id = JSON.parse(newer).id as string;
    if (landed) {
      t.is(out.exitCode, 0, out.stderr);
      t.is(out.stdout.trim(), id);
      t.regex(out.stderr, new RegExp(`cancelled ${older}: superseded by ${id}`));
    } else {
      // One line, that the repository has none of it, and the code of a git failure.
      t.is(out.exitCode, 4, out.stdout);
      const lines = out.stderr.split('\n').filter((line) => line.startsWith('refci enqueue: '));
      t.is(lines.length, 1, out.stderr);
      t.regex(lines[0] ?? '', /^refci enqueue: the enqueue was not pushed: git push git:\/\/169\.254\.77\.1\/coord\.git failed: fatal: the remote end hung up unexpectedly; /);
    }
    // Whole: the job and the cancel of the one it supersedes are both there (the retry above pushed them when the first did not), each readable.
    t.truthy(await tip(s, `refs/ci/jobs/${id}`));
    t.truthy(await tip(s, `refs/ci/cancel/${older}`));
    t.is(JSON.parse((await git(['cat-file', 'blob', `refs/ci/jobs/${id}:job.json`], { cwd: s.coordPath })).stdout).id, id);
    const fsck = await git(['fsck', '--no-dangling'], { cwd: s.coordPath, allowFailure: true });
    t.is(fsck.exitCode, 0, fsck.stderr);
  });
}

/**
 * Quiet by default under cron: `refci enqueue --github` and `refci collect --once` print nothing on
 * a run that found nothing (every line is a mail), only what changed; --verbose says the rest.
 * In process, through the CLI's main() with captured output.
 */
import path from 'node:path';
import test from 'ava';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/command.ts';
import { startFakeForge } from '../helpers/fake-forge.ts';
import { TEST_TOKEN } from '../helpers/fake-forge-client.ts';
import { memoryCopy } from '../helpers/memory.ts';
import { tempDir } from '../helpers/temp.ts';

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (line) => out.push(line), err: (line) => err.push(line), env: { PATH: process.env.PATH, ...env }, isTTY: false };
  const code = await main(argv, io);
  return { code, out, err };
}

test('github: a second poll and collector round with nothing new print nothing; --verbose says what was seen', async (t) => {
  const dir = tempDir(t);
  t.is((await run(['init', path.join(dir, 'coord.git')])).code, 0);
  const coord = (await memoryCopy(t, path.join(dir, 'coord.git'))).url;
  const fake = await startFakeForge({ flavor: 'github', token: TEST_TOKEN });
  t.teardown(() => fake.close());
  fake.openPull();
  const env = { GITHUB_TOKEN: TEST_TOKEN, REFCI_GITHUB_API_URL: fake.apiUrl, REFCI_ALLOW_HTTP_API: '1' };
  const enqueue = ['enqueue', '--coord', coord, '--github', 'gentoo/gentoo', '--api-url', fake.apiUrl, '--allow-http-api', '--state-dir', path.join(dir, 'enqueue')];
  const collect = ['collect', '--coord', coord, '--once', '--out', path.join(dir, 'reports'), '--state-dir', path.join(dir, 'collect')];

  const first = await run(enqueue, env);
  t.is(first.code, 0, first.err.join('\n'));
  t.true(first.out.some((line) => /PR #1: enqueued pr1-/.test(line)), 'what changed is printed');
  t.false(first.out.some((line) => /open pull request\(s\)/.test(line)), 'no summary line');
  await run(collect, env); // the first round takes up the configuration and may say so

  const second = await run(enqueue, env);
  t.is(second.code, 0);
  t.deepEqual([second.out, second.err], [[], []], 'an unchanged poll (304 pages) prints nothing');
  t.true(fake.requests.some((r) => r.status === 304), 'the list was answered 304');

  // A 502 that refci retries, and a 304: no line of octokit's request log reaches either stream.
  fake.script({ method: 'GET', path: '/repos/gentoo/gentoo/pulls', status: 502, body: { message: 'Server Error' } });
  const retried = await run(enqueue, env);
  t.is(retried.code, 0);
  t.deepEqual(retried.out, []);
  t.false([...retried.out, ...retried.err].some((line) => / - \d{3} with id /.test(line)), retried.err.join('\n'));

  const round = await run(collect, env);
  t.is(round.code, 0);
  t.deepEqual([round.out, round.err], [[], []], 'a collector round with nothing finished prints nothing');

  const verbose = await run([...enqueue, '--verbose'], env);
  t.true(verbose.out.some((line) => /gentoo\/gentoo: 1 open pull request\(s\); 0 enqueued/.test(line)));
  const verboseRound = await run([...collect, '--verbose'], env);
  t.true(verboseRound.out.some((line) => /archived 0 job\(s\)/.test(line)));
});

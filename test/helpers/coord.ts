import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { git } from '../../src/git/runner.ts';
import { refci } from './cli.ts';
import { sourceRepo } from './source-repo.ts';
import { tempDir } from './temp.ts';
import { serve, type Transport } from './transports.ts';

export { TRANSPORTS, testOver, type Transport } from './transports.ts';

export interface Scenario {
  dir: string;
  /** The coordination repository's folder on disk, for inspecting it. */
  coordPath: string;
  /** The URL hosts use: file://, git://, http:// or ssh:// on 127.0.0.1. */
  coord: string;
  source: { path: string; base: string; heads: string[] };
  env: Record<string, string>;
  configFile: string;
}

/**
 * Sleeps SLEEP_MS; ends early once its worker is gone (a test that kills a
 * worker with SIGKILL would otherwise leave this step sleeping: it runs in its
 * own process group): its parent changed, or it was orphaned (parent 1) before
 * it even started.
 */
const SLEEP =
  'const parent = process.ppid; setTimeout(() => {}, Number(process.env.SLEEP_MS ?? 0)); ' +
  'setInterval(() => { if (process.ppid !== parent || process.ppid === 1) process.exit(1); }, 500).unref();';

/** A coordination repository made by `refci init`, a source repository with PR branches, and a test configuration. */
export async function scenario(t: ExecutionContext, transport: Transport, prs = 3, config: object = {}): Promise<Scenario> {
  const dir = tempDir(t);
  const coordPath = path.join(dir, 'coord.git');
  const init = await refci(['init', coordPath]);
  if (init.exitCode !== 0) throw new Error(init.stderr);
  const source = await sourceRepo(path.join(dir, 'source'), prs);
  const served = await serve(t, transport, coordPath);
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      leaseSec: 2,
      pipelines: {
        sleep: { kind: 'steps', checkout: false, steps: [{ name: 'sleep', run: ['node', '-e', SLEEP], timeoutSec: 120 }] },
        fail: { kind: 'steps', checkout: true, steps: [{ name: 'false', run: ['git', 'rev-parse', 'no-such-rev'], timeoutSec: 60 }] },
      },
      ...config,
    }),
  );
  // REFCI_ALLOW_LOCAL_REPOS: the source repository is a path, which workers refuse unless told.
  // The processes' own temp folders (a step's scratch folder, left when a test kills its worker) go below dir, removed with it.
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const env = { ...served.env, REFCI_STATE_DIR: path.join(dir, 'state'), TMPDIR: tmp, REFCI_ALLOW_LOCAL_REPOS: '1' };
  return { dir, coordPath, coord: served.url, source, env, configFile };
}

/** The refs jobs leave in the coordination repository (worker presence and drain flags are not jobs). */
export async function liveRefs(coordPath: string): Promise<string[]> {
  const out = await git(['for-each-ref', '--format=%(refname)', 'refs/ci/jobs/', 'refs/ci/locks/', 'refs/ci/results/', 'refs/ci/cancel/', 'refs/ci/history'], {
    cwd: coordPath,
  });
  return out.stdout.split('\n').filter(Boolean);
}

export async function enqueuePr(s: Scenario, pr: number, pipeline: string, extra: string[] = []) {
  return refci(
    ['enqueue', '--coord', s.coord, '--repo', s.source.path, '--base', 'master', '--head', `pr/${pr}`, '--pr', String(pr), '--pipeline', pipeline, ...extra],
    { env: s.env },
  );
}

/**
 * Runs `work --once` like cron (steps end at once: SLEEP_MS 0) until the job
 * has a result; what the last run printed. Between runs it waits `pauseMs`:
 * a stale lock is taken over only once its lease has run out on the runner's
 * own clock (docs/protocol.md, section 5); over ssh and HTTP each run costs
 * more, so those tests look less often.
 */
export async function cronUntilResult(s: Scenario, id: string, workerId: string, pauseMs = 300): Promise<string> {
  for (let run = 0; run < 30; run++) {
    const out = await refci(['work', '--coord', s.coord, '--once', '--worker-id', workerId, '--config', s.configFile], {
      env: { ...s.env, SLEEP_MS: '0' },
    });
    if (out.exitCode !== 0) throw new Error(out.stderr);
    const result = await git(['rev-parse', '--verify', '--quiet', `refs/ci/results/${id}`], { cwd: s.coordPath, allowFailure: true });
    if (result.exitCode === 0) return out.stdout;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error('no result after 30 cron runs');
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { MemoryRemote } from '../../src/coord/memory-remote.ts';
import { git } from '../../src/git/runner.ts';
import { refci } from './cli.ts';
import { memoryCopy } from './memory.ts';
import { sourceRepo } from './source-repo.ts';
import { tempDir } from './temp.ts';
import { serve, type Transport } from './transports.ts';


/** Where a scenario's coordination repository lives: served over one of git's transports, or held in process. */
export type ScenarioRepository = Transport | 'memory';

export interface Scenario {
  dir: string;
  /** The coordination repository's folder on disk, for inspecting it (with `memory`, the state it started from). */
  coordPath: string;
  /** The URL hosts use: file://, git://, http:// or ssh:// on 127.0.0.1, or memory:// in this process. */
  coord: string;
  /** The repository held in process, for a scenario made with `memory`. */
  memory?: MemoryRemote;
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

/**
 * A coordination repository made by `refci init`, a source repository with
 * PR branches, and a test configuration: made once per test process for each
 * `prs` and `config` (scenarioTemplate) and copied into the test's folder.
 */
export async function scenario(t: ExecutionContext, transport: ScenarioRepository, prs = 3, config: object = {}): Promise<Scenario> {
  const key = `${prs} ${JSON.stringify(config)}`;
  let copy = plainTemplates.get(key);
  if (!copy) plainTemplates.set(key, (copy = scenarioTemplate(prs, config)));
  return copy(t, transport);
}

const plainTemplates = new Map<string, ReturnType<typeof scenarioTemplate>>();

/** The repositories and files of a scenario in `dir`; the source repository's description. */
async function build(dir: string, prs: number, config: object): Promise<Scenario['source']> {
  const init = await refci(['init', path.join(dir, 'coord.git')]);
  if (init.exitCode !== 0) throw new Error(init.stderr);
  const source = await sourceRepo(path.join(dir, 'source'), prs);
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      leaseSec: 2,
      pipelines: {
        sleep: { kind: 'steps', checkout: false, steps: [{ name: 'sleep', run: ['node', '-e', SLEEP], timeoutSec: 120 }] },
        fail: { kind: 'steps', checkout: true, steps: [{ name: 'false', run: ['git', 'rev-parse', 'no-such-rev'], timeoutSec: 60 }] },
      },
      ...config,
    }),
  );
  // The processes' own temp folders (a step's scratch folder, left when a test kills its worker) go below dir, removed with it.
  fs.mkdirSync(path.join(dir, 'tmp'));
  return source;
}

/** The environment of a scenario in `dir` whose coordination repository is reached as `url`. */
function scenarioIn(dir: string, source: Scenario['source'], url: string, extraEnv: Record<string, string>): Scenario {
  // REFCI_ALLOW_LOCAL_REPOS: the source repository is a path, which workers refuse unless told.
  const env = { ...extraEnv, REFCI_STATE_DIR: path.join(dir, 'state'), TMPDIR: path.join(dir, 'tmp'), REFCI_ALLOW_LOCAL_REPOS: '1' };
  return { dir, coordPath: path.join(dir, 'coord.git'), coord: url, source, env, configFile: path.join(dir, 'config.json') };
}

async function served(t: ExecutionContext, dir: string, source: Scenario['source'], transport: ScenarioRepository): Promise<Scenario> {
  const coordPath = path.join(dir, 'coord.git');
  if (transport === 'memory') {
    const memory = await memoryCopy(t, coordPath);
    return { ...scenarioIn(dir, source, memory.url, {}), memory };
  }
  const via = await serve(t, transport, coordPath);
  return scenarioIn(dir, source, via.url, via.env);
}

/**
 * scenario() for the tests of one file that start from the same state: the
 * repositories are made once per test process (by scenario's steps, then
 * `prepare` over a file:// URL) and copied into each test's own folder, so a
 * test pays for a folder copy instead of dozens of git processes. What
 * `prepare` leaves that names the template's folder (refci's state with its
 * clones, editConfig's clone) is not copied: each test starts those afresh.
 * The template is removed when the test process exits.
 */
export function scenarioTemplate(prs = 3, config: object = {}, prepare?: (s: Scenario) => Promise<void>): (t: ExecutionContext, transport: ScenarioRepository) => Promise<Scenario> {
  let template: Promise<{ dir: string; source: Scenario['source'] }> | undefined;
  return async (t, transport) => {
    template ??= (async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-template-'));
      process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      const source = await build(dir, prs, config);
      if (prepare) await prepare(scenarioIn(dir, source, `file://${path.join(dir, 'coord.git')}`, {}));
      for (const name of ['state', 'config-work', 'tmp']) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      fs.mkdirSync(path.join(dir, 'tmp'));
      return { dir, source };
    })();
    const { dir: from, source } = await template;
    const dir = tempDir(t);
    fs.cpSync(from, dir, { recursive: true });
    return served(t, dir, { ...source, path: path.join(dir, 'source') }, transport);
  };
}

/**
 * A repository git can read the scenario's refs and objects in (verify-commit,
 * cat-file, log): the coordination repository itself, or for `memory` a bare
 * copy brought up to date from it at each call.
 */
export async function gitReadable(s: Scenario): Promise<string> {
  if (!s.memory) return s.coordPath;
  const copy = path.join(s.dir, 'memory-copy.git');
  if (!fs.existsSync(copy)) await git(['init', '--quiet', '--bare', copy]);
  await s.memory.fetch(copy, ['+refs/*:refs/*']);
  return copy;
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
 * has a result; what the last run printed. Between runs it waits the lease
 * length of the scenario's configuration: a stale lock is taken over only
 * once it has stayed unchanged for its lease on the runner's own clock, seen
 * from one run to a later one (docs/protocol.md, section 5), so looking more
 * often would only cost git processes.
 */
export async function cronUntilResult(s: Scenario, id: string, workerId: string): Promise<string> {
  const pauseMs = (JSON.parse(fs.readFileSync(s.configFile, 'utf8')).leaseSec ?? 2) * 1000;
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

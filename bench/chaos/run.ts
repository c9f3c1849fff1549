import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoordClone } from '../../src/coord/clone.ts';
import { enqueueJobs } from '../../src/enqueue/enqueue.ts';
import { git } from '../../src/git/runner.ts';
import { systemClock } from '../../src/host/clock.ts';
import { freePort, listening } from '../../test/helpers/ports.ts';
import type { AuditReport } from '../../src/protocol/audit.ts';
import { newJob } from '../../src/protocol/job.ts';
import { Daemon, type UnexpectedExit } from './daemon.ts';
import { CutProxy, type CutMode } from './proxy.ts';

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bin', 'refci.js');

export interface ChaosOptions {
  /** How long faults are injected. */
  seconds: number;
  workers: number;
  collectors: number;
  /** `daemon`: git daemon on 127.0.0.1 (half the workers behind cuttable proxies); `path`: the repository's folder, no network to cut. */
  transport: 'daemon' | 'path';
  leaseSec: number;
  /** How long each job's one step runs. */
  jobMs: number;
  /** Longest time to wait for the queue to drain after the faults stop. */
  drainSec: number;
  /** Jobs the enqueuer keeps waiting per worker. */
  backlog: number;
  /** Workers' longest sleep between looks at the queue (refci work --poll-max). */
  pollMaxSec: number;
  /** A random fault about this often, on average. */
  faultEveryMs: number;
  /** Where to keep everything; a temporary folder (removed unless `keep`) otherwise. */
  dir?: string;
  keep?: boolean;
  log: (line: string) => void;
  /** Ends the run early (SIGINT): no more faults, no drain, no audit; every daemon is stopped. */
  stop?: AbortSignal;
}

export interface ChaosFigures {
  transport: string;
  workers: number;
  collectors: number;
  leaseSec: number;
  faultSec: number;
  drainSec: number;
  totalSec: number;
  enqueued: number;
  kills: number;
  /** Kills of a worker that held a lock at that moment (its lease must then expire and be taken over). */
  holderKills: number;
  pauses: number;
  /** Pauses of a worker right after it claimed a job. */
  holderPauses: number;
  cuts: number;
  /** Claims that lost a compare-and-swap to another worker (the workers' --verbose lines). */
  contestedClaims: number;
  /** Results a worker threw away because its lease had been taken over meanwhile (its log says so). */
  discardedResults: number;
  /** Daemons that exited without being killed or stopped. */
  crashes: UnexpectedExit[];
  drained: boolean;
  /** Daemons that needed SIGKILL after SIGTERM. */
  slowStops: string[];
  loadAverage: { start: number; mean: number; max: number };
  audit: { exitCode: number; report?: AuditReport; lines: string[] };
  dir: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
const between = (min: number, max: number) => min + Math.random() * (max - min);

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await listening(port)) return;
    await sleep(50);
  }
  throw new Error(`git daemon did not listen on ${port}`);
}

/** Live job refs of the coordination repository (read on its folder). */
async function liveRefCount(coordPath: string, kinds = ['jobs', 'locks', 'results', 'cancel']): Promise<number> {
  const out = await git(['for-each-ref', '--format=%(refname)', ...kinds.map((kind) => `refs/ci/${kind}/`)], { cwd: coordPath });
  return out.stdout.split('\n').filter(Boolean).length;
}

/** Lock tips that are a claim, takeover or heartbeat now, and the worker holding each. */
async function lockHolders(coordPath: string): Promise<{ worker: string; oid: string }[]> {
  const refs = (await git(['for-each-ref', '--format=%(objectname)', 'refs/ci/locks/'], { cwd: coordPath })).stdout.split('\n').filter(Boolean);
  if (refs.length === 0) return [];
  const format = '%H|%(trailers:key=Refci-Event,valueonly,separator=%x2C)|%(trailers:key=Refci-Worker,valueonly,separator=%x2C)';
  const out = await git(['log', '--no-walk', '--stdin', `--format=${format}`], { cwd: coordPath, input: `${refs.join('\n')}\n` });
  return out.stdout
    .split('\n')
    .map((line) => line.split('|'))
    .filter(([oid, event, worker]) => oid && worker && event && event !== 'release')
    .map(([oid, , worker]) => ({ worker: worker!, oid: oid! }));
}

/**
 * The chaos run: a fleet of real `refci work` and `refci collect` daemons on
 * one coordination repository, an enqueuer adding short jobs all along, and a
 * fault injector (SIGKILL and restart, SIGSTOP longer than the lease, network
 * cuts through a proxy) for `seconds`. Then the faults stop, the queue
 * drains, every daemon gets SIGTERM, and `refci audit --quiescent --skew 0`
 * proves the queue's invariants from the repository alone.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const { log } = options;
  const started = Date.now();
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'refci-chaos-'));
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const coordPath = path.join(dir, 'coord.git');
  const figures: ChaosFigures = {
    transport: options.transport,
    workers: options.workers,
    collectors: options.collectors,
    leaseSec: options.leaseSec,
    faultSec: 0,
    drainSec: 0,
    totalSec: 0,
    enqueued: 0,
    kills: 0,
    holderKills: 0,
    pauses: 0,
    holderPauses: 0,
    cuts: 0,
    contestedClaims: 0,
    discardedResults: 0,
    crashes: [],
    drained: false,
    slowStops: [],
    loadAverage: { start: os.loadavg()[0]!, mean: 0, max: 0 },
    audit: { exitCode: -1, lines: [] },
    dir,
  };
  const loads: number[] = [];
  const loadTimer = setInterval(() => loads.push(os.loadavg()[0]!), 5000);
  let gitDaemon: ResultPromise | undefined;
  const proxies: CutProxy[] = [];
  const workers: Daemon[] = [];
  const collectors: Daemon[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };
  try {
    await execa(process.execPath, [BIN, 'init', coordPath]);
    const configFile = path.join(dir, 'config.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        leaseSec: options.leaseSec,
        sandbox: 'off',
        pipelines: { chaos: { kind: 'steps', checkout: false, steps: [{ name: 'sleep', run: ['sleep', String(options.jobMs / 1000)], timeoutSec: 600 }] } },
      }),
    );
    let coord = coordPath;
    let workerCoord = (_n: number) => coordPath;
    if (options.transport === 'daemon') {
      const port = await freePort();
      // --max-connections=0: no limit; the default of 32 would refuse some of a busy fleet's connections.
      gitDaemon = execa('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, '--max-connections=0', '--export-all', '--enable=receive-pack', `--base-path=${dir}`, dir], { reject: false, stdin: 'ignore' });
      await waitForPort(port);
      coord = `git://127.0.0.1:${port}/coord.git`;
      // Every other worker goes through a proxy of its own, whose network the injector cuts.
      for (let n = 0; n < options.workers; n++) proxies.push(...(n % 2 === 1 ? [await CutProxy.start(port)] : []));
      workerCoord = (n) => (n % 2 === 1 ? `git://127.0.0.1:${proxies[(n - 1) / 2]!.port}/coord.git` : coord);
    }
    const env = { ...process.env, TMPDIR: path.join(dir, 'tmp'), REFCI_ALLOW_LOCAL_REPOS: '1' };
    let holderFault: 'kill' | 'pause' | undefined;
    let onClaim: (daemon: Daemon, job: string) => void = () => undefined;
    const onLine = (daemon: Daemon, line: string) => {
      if (line.includes(': claim lost, another worker was first')) figures.contestedClaims += 1;
      if (/: lease lost to another worker; result discarded|: result rejected: the lease was taken over/.test(line)) figures.discardedResults += 1;
      const claimed = / (\S+): claimed by \S+, attempt \d+/.exec(line);
      if (claimed) onClaim(daemon, claimed[1]!);
    };
    const onExit = (exit: UnexpectedExit) => {
      figures.crashes.push(exit);
      log(`${exit.name} exited by itself (code ${exit.code}, signal ${exit.signal}): ${exit.last.at(-1) ?? ''}`);
    };
    for (let n = 0; n < options.workers; n++) {
      const name = `w${n}`;
      const args = ['work', '--coord', workerCoord(n), '--worker-id', name, '--config', configFile, '--state-dir', path.join(dir, 'state', name), '--poll-max', String(options.pollMaxSec), '--pipelines', 'chaos', '--verbose'];
      workers.push(new Daemon(name, args, env, path.join(dir, 'logs', `${name}.log`), onLine, onExit));
    }
    for (let n = 0; n < options.collectors; n++) {
      const name = `c${n}`;
      const args = ['collect', '--coord', coord, '--config', configFile, '--state-dir', path.join(dir, 'state', name), '--out', path.join(dir, 'reports')];
      collectors.push(new Daemon(name, args, env, path.join(dir, 'logs', `${name}.log`), onLine, onExit));
    }
    // A daemon that exits by itself is started again, as systemd would; the exit is still reported.
    const affected = new Set<Daemon>();
    const keepRunning = setInterval(() => [...workers, ...collectors].forEach((d) => d.running || affected.has(d) || d.start()), 2000);
    for (const daemon of [...workers, ...collectors]) daemon.start();
    log(`chaos: ${options.workers} workers, ${options.collectors} collectors on ${coord}, lease ${options.leaseSec}s, jobs of ${options.jobMs} ms, ${options.seconds}s of faults; in ${dir}`);

    // The enqueuer keeps about `backlog` jobs per worker waiting.
    const enqueuer = await CoordClone.open(path.join(dir, 'enqueuer.git'), coord);
    let enqueuing = true;
    let serial = 0;
    const salt = Date.now().toString(16);
    const enqueueLoop = (async () => {
      while (enqueuing) {
        try {
          // Queued: a job ref without a lock or a result yet.
          const waiting = (await liveRefCount(coordPath, ['jobs'])) - (await liveRefCount(coordPath, ['locks']));
          const wanted = Math.min(8, options.workers * options.backlog - waiting);
          if (wanted > 0) {
            const jobs = Array.from({ length: wanted }, () =>
              newJob({ repo: '/nowhere', base: 'a'.repeat(40), head: `${salt}${(serial++).toString(16)}`.padStart(40, '0'), pipeline: 'chaos', createdAt: new Date().toISOString() }),
            );
            const plan = await enqueueJobs({ clone: enqueuer, clock: systemClock, by: 'chaos' }, jobs);
            figures.enqueued += plan.create.length;
          }
        } catch (error) {
          log(`enqueue: ${(error as Error).message}`);
        }
        await sleep(500);
      }
    })();

    // Faults.
    const faultStart = Date.now();
    const faultEnd = faultStart + options.seconds * 1000;
    const maxAffected = Math.max(1, Math.floor(options.workers / 2));
    const deadTips = new Set<string>();
    const restartLater = (target: Daemon) => {
      const down = between(0.5, 3) * 1000;
      later(down, () => {
        affected.delete(target);
        target.start();
      });
      return down;
    };
    const kill = async (target: Daemon, claimed?: string) => {
      target.kill();
      figures.kills += 1;
      affected.add(target);
      await target.gone();
      const down = restartLater(target);
      let holding = '';
      if (claimed) {
        // Its lock still on its claim once it died (and a push the server was receiving had time to land):
        // nothing but a takeover, or a sweep, can move that lock now.
        await sleep(500);
        const held = (await lockHolders(coordPath).catch(() => [])).find(({ worker, oid }) => worker === target.name && !deadTips.has(oid));
        const tip = held?.oid;
        if (tip) {
          deadTips.add(tip);
          figures.holderKills += 1;
          holding = ` (holding ${claimed})`;
        }
      }
      log(`kill: ${target.name}${holding}, restart in ${(down / 1000).toFixed(1)}s`);
    };
    const pause = (target: Daemon, claimed?: string) => {
      target.pause();
      figures.pauses += 1;
      if (claimed) figures.holderPauses += 1;
      affected.add(target);
      const ms = between(1.5, 4) * options.leaseSec * 1000;
      log(`pause: ${target.name}${claimed ? ` (holding ${claimed})` : ''} for ${(ms / 1000).toFixed(1)}s`);
      later(ms, () => {
        affected.delete(target);
        target.resume();
      });
    };
    onClaim = (daemon, job) => {
      // A kill or pause waiting for a holder: the worker that just claimed, before its step ends.
      if (!holderFault || affected.has(daemon) || Date.now() >= faultEnd || !workers.includes(daemon)) return;
      const fault = holderFault;
      holderFault = undefined;
      if (fault === 'kill') void kill(daemon, job);
      else pause(daemon, job);
    };
    while (Date.now() < faultEnd && !options.stop?.aborted) {
      await sleep(between(0.5, 1.5) * options.faultEveryMs);
      if (Date.now() >= faultEnd || options.stop?.aborted) break;
      // The first fault, and one kill or pause in two after, hits a worker right after it claims: its lease
      // must expire and be taken over, and a paused holder must publish nothing once it wakes up.
      const kind = figures.kills === 0 ? 'kill' : pick(['kill', 'kill', 'pause', 'pause', ...(proxies.length ? ['cut', 'cut'] : [])])!;
      if (affected.size >= maxAffected) continue;
      if (kind === 'cut') {
        const proxy = pick(proxies.filter((p) => !p.cut));
        if (!proxy) continue;
        const mode: CutMode = Math.random() < 0.5 ? 'drop' : 'blackhole';
        const ms = between(0.5, 2) * options.leaseSec * 1000;
        proxy.cutFor(mode, ms);
        figures.cuts += 1;
        log(`cut: worker w${proxies.indexOf(proxy) * 2 + 1}, ${mode}, ${(ms / 1000).toFixed(1)}s`);
        continue;
      }
      if (figures.holderKills === 0 || Math.random() < 0.5) {
        holderFault = figures.holderKills === 0 ? 'kill' : (kind as 'kill' | 'pause');
        continue;
      }
      const target = pick((Math.random() < 0.1 ? collectors : workers).filter((d) => d.running && !affected.has(d)));
      if (!target) continue;
      if (kind === 'kill') await kill(target);
      else pause(target);
    }
    holderFault = undefined;
    figures.faultSec = (Date.now() - faultStart) / 1000;

    // Drain: no more faults, every daemon up, no new jobs.
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    for (const proxy of proxies) proxy.restore();
    for (const daemon of [...workers, ...collectors]) {
      daemon.resume();
      daemon.start();
    }
    enqueuing = false;
    await enqueueLoop;
    log(`faults stopped after ${figures.faultSec.toFixed(0)}s: ${figures.enqueued} jobs enqueued; draining`);
    const drainStart = Date.now();
    while (Date.now() - drainStart < options.drainSec * 1000 && !options.stop?.aborted) {
      if ((await liveRefCount(coordPath)) === 0) {
        figures.drained = true;
        break;
      }
      await sleep(1000);
    }
    figures.drainSec = (Date.now() - drainStart) / 1000;
    log(figures.drained ? `drained in ${figures.drainSec.toFixed(0)}s` : `not drained after ${figures.drainSec.toFixed(0)}s: ${await liveRefCount(coordPath)} live refs left`);

    // Stop: workers first, then the collectors, which clear what a worker may have left (section 7, leftovers).
    clearInterval(keepRunning);
    const stopAll = async (daemons: Daemon[]) => {
      const stopped = await Promise.all(daemons.map((daemon) => daemon.stop(30_000)));
      daemons.forEach((daemon, index) => stopped[index] || figures.slowStops.push(daemon.name));
    };
    await stopAll(workers);
    for (let i = 0; i < 20 && (await liveRefCount(coordPath)) > 0; i++) await sleep(1000);
    await stopAll(collectors);
    log(`fleet stopped; auditing`);

    if (options.stop?.aborted) throw new Error('stopped before the audit');
    const audit = await execa(process.execPath, [BIN, 'audit', '--quiescent', '--skew', '0', '--json', coordPath], { reject: false });
    figures.audit.exitCode = audit.exitCode ?? -1;
    try {
      figures.audit.report = JSON.parse(String(audit.stdout)) as AuditReport;
      figures.audit.lines = figures.audit.report.violations.map((v) => `${v.job ?? '(repository)'}: ${v.rule}: ${v.detail}`);
    } catch {
      figures.audit.lines = [`refci audit did not answer JSON: ${String(audit.stderr).split('\n')[0]}`];
    }
  } finally {
    clearInterval(loadTimer);
    for (const timer of timers) clearTimeout(timer);
    await Promise.all([...workers, ...collectors].map((daemon) => daemon.stop(5000)));
    await Promise.all(proxies.map((proxy) => proxy.close()));
    gitDaemon?.kill('SIGTERM');
    await gitDaemon;
    loads.push(os.loadavg()[0]!);
    figures.loadAverage.mean = loads.reduce((a, b) => a + b, 0) / loads.length;
    figures.loadAverage.max = Math.max(...loads);
    figures.totalSec = (Date.now() - started) / 1000;
    if (!options.dir && !options.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

/** Whether the run proved the invariants and the fleet behaved: what `npm run chaos` exits on. */
export function chaosProblems(figures: ChaosFigures): string[] {
  const problems = [...figures.audit.lines];
  if (figures.audit.exitCode !== 0 && figures.audit.lines.length === 0) problems.push(`refci audit exited with ${figures.audit.exitCode}`);
  if (!figures.drained) problems.push(`the queue did not drain within the drain time`);
  const archived = figures.audit.report?.figures.archived;
  if (archived !== undefined && archived !== figures.enqueued) problems.push(`the enqueuer enqueued ${figures.enqueued} jobs, the history holds ${archived}`);
  for (const crash of figures.crashes) problems.push(`${crash.name} exited by itself (code ${crash.code}, signal ${crash.signal}): ${crash.last.at(-1) ?? ''}`);
  for (const name of figures.slowStops) problems.push(`${name} did not stop within 30 s of SIGTERM`);
  return problems;
}

/** The figures, a line each, for the terminal and docs/benchmarks.md. */
export function chaosLines(figures: ChaosFigures): string[] {
  const audit = figures.audit.report?.figures;
  return [
    `transport: ${figures.transport}; ${figures.workers} workers, ${figures.collectors} collectors; lease ${figures.leaseSec}s`,
    `duration: ${figures.faultSec.toFixed(0)}s of faults, drained in ${figures.drainSec.toFixed(0)}s${figures.drained ? '' : ' (NOT drained)'}, ${figures.totalSec.toFixed(0)}s in all`,
    `jobs: ${figures.enqueued} enqueued, ${audit?.archived ?? '?'} archived (${Object.entries(audit?.verdicts ?? {}).map(([v, n]) => `${n} ${v}`).join(', ')})`,
    `faults: ${figures.kills} kills (${figures.holderKills} of a lock holder), ${figures.pauses} pauses (${figures.holderPauses} of a lock holder), ${figures.cuts} network cuts`,
    `takeovers: ${audit?.takeovers ?? '?'} (${audit?.takeoversAfterRelease ?? '?'} after a release); contested claims: ${figures.contestedClaims}; results discarded by a worker whose lease was taken over: ${figures.discardedResults}; closing results of sweeps: ${audit?.closingResults ?? '?'}; leftovers cleared: ${audit?.leftovers ?? '?'}`,
    `daemons that exited by themselves: ${figures.crashes.length}`,
    `load average: ${figures.loadAverage.start.toFixed(1)} at the start, ${figures.loadAverage.mean.toFixed(1)} mean, ${figures.loadAverage.max.toFixed(1)} max`,
    `checker: ${figures.audit.exitCode === 0 ? 'clean' : `${figures.audit.lines.length} violation(s)`}`,
  ];
}

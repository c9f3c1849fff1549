/**
 * `npm run bench`: claim latency against a raw push, drain time with 1, 4 and
 * 16 workers, and claim latency with and without 10,000 archived jobs.
 * Figures are ratios measured in the same run; write them to docs/benchmarks.md.
 * BENCH_JOBS (default 1000) sets the drain size, BENCH_HISTORY (default 10000)
 * the archived jobs; BENCH_ONLY=writes measures only the record writes,
 * BENCH_ONLY=startup only the CLI's start-up against `node -e 0`,
 * BENCH_ONLY=spawn only what one process costs the node process that starts it,
 * BENCH_ONLY=site only the status site against refci status,
 * BENCH_ONLY=scope only scoping on a tree of ::gentoo's size,
 * BENCH_ONLY=latency only enqueue-to-archive with daemons (BENCH_LATENCY_RUNS, default 50),
 * BENCH_ONLY=jobcost only what one no-op job costs the coordination (BENCH_JOBCOST_JOBS, default 300),
 * BENCH_ONLY=drain only the drains of no-op jobs with 1, 4 and 16 workers and a collector,
 * BENCH_ONLY=sleep only 160 jobs of 2 s with 16 workers (BENCH_SLEEP_JOBS),
 * BENCH_ONLY=throughput only 300 pull requests with stand-in scans and 8 workers (BENCH_THROUGHPUT_JOBS),
 * BENCH_ONLY=basecache only the base-scan cache (two PRs on one base),
 * BENCH_ONLY=checkout only a job's export and merge at ::gentoo's size against plain git.
 */
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lease } from '../src/claim/lease.ts';
import { enqueueJobs } from '../src/enqueue/enqueue.ts';
import { CoordClone } from '../src/coord/clone.ts';
import { writeRecordCommit } from '../src/git/objects.ts';
import { git } from '../src/git/runner.ts';
import { systemClock } from '../src/host/clock.ts';
import { signatureFor } from '../src/protocol/actor.ts';
import { SUMMARY, summaryPath, type Summary } from '../src/protocol/history.ts';
import { encodeAs, messageOf } from '../src/protocol/record-kind.ts';
import { newJob, type JobDescriptor } from '../src/protocol/job.ts';
import { HISTORY_REF, liveRefspecs } from '../src/protocol/refs.ts';
import { spawnCosts } from './spawn-cost.ts';
import { startupTimes } from './startup.ts';
import { enqueueToArchive, type Transport } from './latency.ts';
import { sshdUnusable } from '../test/helpers/sshd.ts';
import { drainNoops, drainSleeps, throughput } from './drain.ts';
import { scopeAtGentooSize } from './scope.ts';
import { describeJobCost, describeServerCost, jobCost, serverCost } from './jobcost.ts';
import { baseCacheSaving } from './base-cache.ts';
import { checkoutAtGentooSize } from './checkout.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const HISTORY = Number(process.env.BENCH_HISTORY ?? 10000);
const SAMPLES = 40;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-bench-'));
const bin = path.resolve('bin/refci.js');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function jobs(count: number, salt: string): JobDescriptor[] {
  return Array.from({ length: count }, (_, i) =>
    newJob({ repo: '/nowhere', base: 'a'.repeat(40), head: `${Buffer.from(salt).toString("hex")}${i.toString(16).padStart(8, "0")}`.padStart(40, "0").slice(-40), pipeline: 'noop', createdAt: new Date().toISOString() }),
  );
}

async function coordRepo(name: string): Promise<string> {
  const dir = path.join(root, name);
  await git(['init', '--quiet', '--bare', dir]);
  return dir;
}

/** Median of a raw create push of a fresh one-file commit, and of a refci claim, to the same remote. */
async function claimVersusRawPush(remote: string, label: string) {
  const clone = await CoordClone.open(path.join(root, `${label}-claimer.git`), remote);
  const list = jobs(SAMPLES, label.replace(/\W/g, '').slice(0, 8) || 'x');
  await enqueueJobs({ clone, clock: systemClock, by: 'bench' }, list);
  await clone.fetch(liveRefspecs());
  const raw: number[] = [];
  const claim: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // Dated now, as a claim is: a commit older than the remote's history would make
    // the receiving side's connectivity walk the whole history, which claims never do.
    const author = signatureFor('bench', 'bench', Date.now());
    const commit = await writeRecordCommit(clone.gitdir, { files: { 'x.json': `{"n":${i},"t":${Date.now()}}` }, parents: [], message: 'raw', author });
    let start = process.hrtime.bigint();
    await git(['push', '--quiet', remote, `${commit}:refs/bench/raw-${label}-${i}`], { cwd: clone.gitdir });
    raw.push(ms(start));
    const job = list[i];
    const jobOid = (await clone.ref(`refs/ci/jobs/${job.id}`))!;
    start = process.hrtime.bigint();
    const lease = await Lease.acquire(clone, { id: 'bench', host: 'bench', leaseSec: 300, tools: {} }, { id: job.id, job, jobOid, attempt: 1, expect: null }, systemClock);
    claim.push(ms(start));
    if (!lease) throw new Error('claim lost with no competitor');
  }
  return { raw: median(raw), claim: median(claim) };
}

/**
 * Writing one record commit (a one-file tree and a commit) into a local clone:
 * in process with isomorphic-git, as refci does, against the three git
 * processes it would take otherwise (hash-object, mktree, commit-tree).
 */
async function recordWrites(): Promise<{ inProcess: number; cli: number }> {
  const gitdir = path.join(root, 'writes.git');
  await git(['init', '--quiet', '--bare', gitdir]);
  const inProcess: number[] = [];
  const cli: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const content = `{"worker":"w${i}","nonce":"${Math.random()}"}`;
    let start = process.hrtime.bigint();
    await writeRecordCommit(gitdir, { files: { 'lock.json': content }, parents: [], message: `claim ${i}`, author: signatureFor('bench', 'bench', Date.now()) });
    inProcess.push(ms(start));
    start = process.hrtime.bigint();
    const blob = (await git(['hash-object', '-w', '--stdin'], { cwd: gitdir, input: content })).stdout.trim();
    const tree = (await git(['mktree'], { cwd: gitdir, input: `100644 blob ${blob}\tlock.json\n` })).stdout.trim();
    await git(['commit-tree', tree, '-m', `claim ${i}`], { cwd: gitdir, env: { GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@x' } });
    cli.push(ms(start));
  }
  return { inProcess: median(inProcess), cli: median(cli) };
}

/**
 * Writes `count` archived jobs straight into the history branch, shaped as the
 * collector leaves them (a job commit, and an archive commit whose tree gains
 * jobs/<shard>/<id>/summary.json), with one `git fast-import`.
 */
async function growHistory(remote: string, count: number): Promise<void> {
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  const parts: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  parts.push(`commit ${HISTORY_REF}\nmark :1\ncommitter bench <bench@refci.invalid> ${when}\n${data('history: start')}`);
  let mark = 2;
  let previous = 1;
  for (const job of jobs(count, 'h')) {
    const jobMark = mark++;
    parts.push(`commit refs/bench/scratch\nmark :${jobMark}\ncommitter bench <bench@refci.invalid> ${when}\n${data(`enqueue ${job.id}`)}deleteall\nM 100644 inline job.json\n${data(JSON.stringify(job))}`);
    const summary: Summary = { version: 1, job: job.id, verdict: 'success', reason: 'bench', archivedAt: new Date().toISOString(), reports: [] };
    const archiveMark = mark++;
    parts.push(
      `commit ${HISTORY_REF}\nmark :${archiveMark}\ncommitter bench <bench@refci.invalid> ${when}\n${data(messageOf(SUMMARY, summary))}from :${previous}\nmerge :${jobMark}\nM 100644 inline ${summaryPath(job.id)}\n${data(encodeAs(SUMMARY, summary))}`,
    );
    previous = archiveMark;
  }
  parts.push('reset refs/bench/scratch\nfrom 0000000000000000000000000000000000000000\n');
  await git(['fast-import', '--quiet'], { cwd: remote, input: parts.join('') });
}

/** `refci site` and `refci status` on the same coordination repository of HISTORY archived jobs, each with its clone warm. */
async function siteVersusStatus(): Promise<{ site: number; status: number }> {
  const remote = path.join(root, 'site.git');
  await execa('node', [bin, 'init', remote]);
  await growHistory(remote, HISTORY);
  const env = { ...process.env, REFCI_STATE_DIR: path.join(root, 'site-state') };
  const run = async (args: string[]) => {
    const start = process.hrtime.bigint();
    await execa('node', [bin, ...args], { env });
    return ms(start);
  };
  const status = ['status', '--coord', remote];
  const site = ['site', '--coord', remote, '--out', path.join(root, 'site-out')];
  await run(status);
  await run(site);
  const times = { site: [] as number[], status: [] as number[] };
  for (let i = 0; i < 5; i++) {
    times.status.push(await run(status));
    times.site.push(await run(site));
  }
  return { site: median(times.site), status: median(times.status) };
}

/**
 * Fleets of daemons on this machine with a collector running: no-op jobs
 * with 1, 4 and 16 workers (drain), 160 jobs of 2 s with 16 workers (sleep),
 * 300 pull requests with seeded stand-in scans and 8 workers (throughput).
 */
/** How busy the machine was until the last result, and its CPU per job: what bounds a drain on one machine. */
const machine = (d: { cpuSec: number; busy: number }, jobs: number) => `machine ${Math.round(d.busy * 100)}% busy, ${((d.cpuSec * 1000) / jobs).toFixed(0)} ms of CPU per job`;

async function drains(say: (line: string) => void, only: string | undefined) {
  const load = () => `load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`;
  if (!only || only === 'drain') {
    const times: Record<number, number> = {};
    for (const workers of [1, 4, 16]) {
      say(`(${load()})`);
      const d = await drainNoops(root, bin, workers, JOBS);
      times[workers] = d.resultsMs;
      say(`drain ${JOBS} no-op jobs, ${workers} worker(s) and a collector: every result ${(d.resultsMs / 1000).toFixed(1)} s (${((JOBS * 1000) / d.resultsMs).toFixed(1)} jobs/s), every job archived ${(d.archivedMs / 1000).toFixed(1)} s; ${machine(d, JOBS)}`);
    }
    say(`drain speed-up: 4 workers / 1 = ${(times[1]! / times[4]!).toFixed(2)}x, 16 / 4 = ${(times[4]! / times[16]!).toFixed(2)}x`);
  }
  if (!only || only === 'sleep') {
    const count = Number(process.env.BENCH_SLEEP_JOBS ?? 160);
    say(`(${load()})`);
    const d = await drainSleeps(root, bin, 16, count, 2);
    const ideal = (count * 2) / 16;
    say(`${count} jobs of 2 s, 16 workers and a collector: every result ${(d.resultsMs / 1000).toFixed(1)} s, ideal ${ideal.toFixed(0)} s (${(d.resultsMs / 1000 / ideal).toFixed(2)}x); every job archived ${(d.archivedMs / 1000).toFixed(1)} s; ${machine(d, count)}`);
  }
  if (!only || only === 'throughput') {
    const count = Number(process.env.BENCH_THROUGHPUT_JOBS ?? 300);
    say(`(${load()})`);
    const f = await throughput(root, bin, 8, count);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    say(
      `throughput, ${count} pull requests, 8 workers, seeded stand-in scans: drained in ${s(f.drainMs)}, ideal ${s(f.idealMs)} (${(f.drainMs / f.idealMs).toFixed(2)}x); ` +
        `wait enqueued to started p50 ${s(f.waits.p50)} (ideal ${s(f.idealWaits.p50)}), p90 ${s(f.waits.p90)} (ideal ${s(f.idealWaits.p90)}), max ${s(f.waits.max)} (ideal ${s(f.idealWaits.max)}); ${machine(f, count)}`,
    );
  }
}

async function main() {
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  say(`machine: ${os.cpus()[0]?.model ?? 'unknown'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${(await git(['--version'])).stdout.trim()}`);

  const only = process.env.BENCH_ONLY;
  if (!only || only === 'startup') {
    const start = startupTimes(bin, root);
    const vsNode = (value: number) => `${value.toFixed(1)} ms (${(value / start.node).toFixed(2)}x node -e 0)`;
    say(`start-up, medians of 20: node -e 0 ${start.node.toFixed(1)} ms; refci --help ${vsNode(start.help)}; refci status on an empty coordination repository ${vsNode(start.status)}; refci hook pre-receive ${vsNode(start.hook)}`);
  }
  if (only === 'startup') return fs.rmSync(root, { recursive: true, force: true });

  if (!only || only === 'spawn') {
    const f = await spawnCosts();
    say(`one process from node (${f.rssMB.toFixed(0)} MB resident, 200 calls in a row): ${f.costs.map((c) => `${c.label} ${c.wallMs.toFixed(1)} ms wall, ${c.parentCpuMs.toFixed(1)} ms of the parent's cpu`).join('; ')} (load average ${os.loadavg()[0].toFixed(1)})`);
  }
  if (only === 'spawn') return fs.rmSync(root, { recursive: true, force: true });
  if (!only || only === 'site') {
    const f = await siteVersusStatus();
    say(`site with ${HISTORY} archived jobs: refci site ${f.site.toFixed(0)} ms, refci status ${f.status.toFixed(0)} ms (medians of 5; site / status ${(f.site / f.status).toFixed(2)}x)`);
  }
  if (only === 'site') return fs.rmSync(root, { recursive: true, force: true });
  if (!only || only === 'scope') {
    const f = await scopeAtGentooSize(root);
    say(`scope at ::gentoo size (${f.packages} packages, ${f.ebuilds} ebuilds, generated in ${(f.generateMs / 1000).toFixed(1)} s): version bump ${f.bumpMs.toFixed(1)} ms; eclass change ${(f.eclassMs / 1000).toFixed(2)} s (${f.eclassTargets} inheritors, ${f.fromCache} ebuilds from the cache); eclass change / bump ${(f.eclassMs / f.bumpMs).toFixed(0)}x`);
    say(`scope of the eclass change from the kept inheritance index (${(f.indexBytes / 1e6).toFixed(1)} MB): at the PR's base ${f.indexedSameBaseMs.toFixed(0)} ms; one base behind (${f.baseMoves} bumps between) ${f.indexedBehindMs.toFixed(0)} ms; keeping the index: first build ${(f.indexBuildMs / 1000).toFixed(2)} s, update after ${f.baseMoves} bumps ${f.indexUpdateMs.toFixed(0)} ms (load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')})`);
  }
  if (only === 'scope') return fs.rmSync(root, { recursive: true, force: true });
  if (!only || only === 'jobcost') {
    say(`(load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')})`);
    for (const line of describeJobCost(await jobCost(root, bin, Number(process.env.BENCH_JOBCOST_JOBS ?? 300)))) say(line);
    // What the repository's host serves per job with one worker and with sixteen: the cost a fleet of separate hosts shares.
    for (const workers of [1, 16]) for (const line of describeServerCost(await serverCost(root, bin, Number(process.env.BENCH_JOBCOST_JOBS ?? 300), workers))) say(line);
  }
  if (only === 'jobcost') return fs.rmSync(root, { recursive: true, force: true });
  if (!only || only === 'latency') {
    const runs = Number(process.env.BENCH_LATENCY_RUNS ?? 50);
    const transports = (process.env.BENCH_TRANSPORTS ?? 'path,file://,git://,ssh://').split(',') as Transport[];
    for (const transport of transports) {
      const unusable = transport === 'ssh://' ? sshdUnusable() : undefined;
      if (unusable) {
        say(`enqueue to archived over ssh:// not measured: ${unusable}`);
        continue;
      }
      const l = await enqueueToArchive(root, bin, transport, runs, 2);
      const polls = transport === 'git://' || transport === 'ssh://' ? ' (polls, --poll-max 2)' : '';
      say(`enqueue to archived, idle daemon worker and collector, ${transport}${polls}: median ${(l.median / 1000).toFixed(2)} s, 90th percentile ${(l.p90 / 1000).toFixed(2)} s (${l.runs} runs)`);
    }
  }
  if (only === 'latency') return fs.rmSync(root, { recursive: true, force: true });
  if (only === 'drain' || only === 'sleep' || only === 'throughput') {
    await drains(say, only);
    return fs.rmSync(root, { recursive: true, force: true });
  }
  if (!only || only === 'basecache') {
    const f = await baseCacheSaving(root);
    const load = os.loadavg()[0].toFixed(1);
    say(
      `base-scan cache, ${f.targets} targets at ${f.msPerTarget} ms each: first PR scans ${(f.first.scanMs / 1000).toFixed(2)} s (job ${(f.first.jobMs / 1000).toFixed(2)} s); ` +
        `second PR on the same base ${(f.second.scanMs / 1000).toFixed(2)} s (job ${(f.second.jobMs / 1000).toFixed(2)} s), ` +
        `${f.second.reusedFrom ? `base scan reused from ${f.second.reusedFrom}` : `base scan not reused${f.second.off ? `: ${f.second.off}` : ''}`}; ` +
        `second / first: scans ${(f.second.scanMs / f.first.scanMs).toFixed(2)}x, jobs ${(f.second.jobMs / f.first.jobMs).toFixed(2)}x (load average ${load})`,
    );
  }
  if (only === 'basecache') return fs.rmSync(root, { recursive: true, force: true });
  if (!only || only === 'checkout') {
    const f = await checkoutAtGentooSize(root, bin, { worker: process.env.BENCH_CHECKOUT_WORKER !== '0' });
    say(
      `checkout at ::gentoo size (${f.files} files, generated in ${(f.generateMs / 1000).toFixed(1)} s), medians: export ${(f.exportMs / 1000).toFixed(2)} s (cpu ${(f.exportCpuMs / 1000).toFixed(2)} s), ` +
        `git worktree add ${(f.worktreeMs / 1000).toFixed(2)} s (cpu ${(f.worktreeCpuMs / 1000).toFixed(2)} s): ${(f.exportMs / f.worktreeMs).toFixed(2)}x wall, ${(f.exportCpuMs / f.worktreeCpuMs).toFixed(2)}x cpu; ` +
        `merge of a bump ${f.merge.bumpMs.toFixed(0)} ms, git diff --name-only ${f.diff.bumpMs.toFixed(0)} ms (${(f.merge.bumpMs / f.diff.bumpMs).toFixed(2)}x); ` +
        `merge of an eclass change ${f.merge.eclassMs.toFixed(0)} ms, diff ${f.diff.eclassMs.toFixed(0)} ms (${(f.merge.eclassMs / f.diff.eclassMs).toFixed(2)}x); ` +
        `cpu per merge ${f.merge.cpuMs.toFixed(0)} ms, per diff ${f.diff.cpuMs.toFixed(0)} ms; ` +
        `md5-cache copied into a tree ${(f.seedMs / 1000).toFixed(1)} s; what changed in the tree after the steps ${(f.treeCheck.wallMs / 1000).toFixed(2)} s (cpu ${(f.treeCheck.cpuMs / 1000).toFixed(2)} s, ${f.treeCheck.changed} files); a tree with its md5-cache removed in the worker's thread ${(f.remove.inProcessMs / 1000).toFixed(1)} s, ` +
        `by rm -rf ${(f.remove.rmMs / 1000).toFixed(1)} s with the thread held at most ${f.remove.longestBlockMs.toFixed(0)} ms at a time; ` +
        `load average ${f.loadBefore.toFixed(1)} before, ${f.loadAfter.toFixed(1)} after`,
    );
    if (f.worker) say(`worker at ::gentoo size, version bump and eclass change with the stand-ins: peak resident memory ${f.worker.peakMB.toFixed(0)} MB, ${(f.worker.wallMs / 1000).toFixed(0)} s; ${f.worker.jobs.join('; ')}`);
  }
  if (only === 'checkout') return fs.rmSync(root, { recursive: true, force: true });

  const writes = await recordWrites();
  say(`record commit written in process (isomorphic-git) ${writes.inProcess.toFixed(1)} ms, with three git processes ${writes.cli.toFixed(1)} ms (${(writes.cli / writes.inProcess).toFixed(1)}x)`);
  if (only === 'writes') return fs.rmSync(root, { recursive: true, force: true });

  const fresh = await coordRepo('claims-fresh.git');
  const a = await claimVersusRawPush(fresh, 'fresh');
  say(`claim, empty history: raw push ${a.raw.toFixed(1)} ms, claim ${a.claim.toFixed(1)} ms (${(a.claim / a.raw).toFixed(2)}x the raw push)`);

  const big = await coordRepo('claims-history.git');
  const grow = process.hrtime.bigint();
  await growHistory(big, HISTORY);
  say(`wrote ${HISTORY} archived jobs in ${(ms(grow) / 1000).toFixed(1)} s`);
  const b = await claimVersusRawPush(big, 'history');
  say(`claim, ${HISTORY} archived: raw push ${b.raw.toFixed(1)} ms, claim ${b.claim.toFixed(1)} ms (${(b.claim / b.raw).toFixed(2)}x the raw push); claim with history / without: ${(b.claim / a.claim).toFixed(2)}x`);

  await drains(say, only);
  fs.rmSync(root, { recursive: true, force: true });
}

await main();

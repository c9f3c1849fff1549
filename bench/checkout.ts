/**
 * A job's checkout at the size of ::gentoo, against plain git on the same
 * repository: the export of a commit into a fresh folder with no `.git`
 * (src/git/export-tree.ts: read-tree into a temporary index, checkout-index)
 * against `git worktree add` of the same commit, and the merge in the object
 * store (src/git/merge.ts: merge-tree, commit-tree) against
 * `git diff --name-only` of the same two commits. Then the peak resident
 * memory of a real worker (`refci work --once`, the stand-ins) running a
 * version bump and an eclass change on that repository.
 */
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../src/config/defaults.ts';
import { withStandIns } from '../src/demo/stand-ins.ts';
import { changesSinceExport, exportTree } from '../src/git/export-tree.ts';
import { identityEnv } from '../src/git/identity.ts';
import { mergeCommits } from '../src/git/merge.ts';
import { git } from '../src/git/runner.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { removeFolder, removeFolderAsync } from '../src/host/remove-folder.ts';
import { seedMetadataCache } from '../src/run/metadata-cache.ts';
import { generate, GENTOO_SIZE } from './scope.ts';

export interface CheckoutFigures {
  files: number;
  generateMs: number;
  exportMs: number;
  worktreeMs: number;
  /** CPU time of the git processes (user + system). */
  exportCpuMs: number;
  worktreeCpuMs: number;
  merge: { bumpMs: number; eclassMs: number; cpuMs: number };
  diff: { bumpMs: number; eclassMs: number; cpuMs: number };
  /** The check after a job's steps of what changed in its merged tree (`changesSinceExport`), with the md5-cache seeded. */
  treeCheck: { wallMs: number; cpuMs: number; changed: number };
  /**
   * A job's file work beside git: copying the kept md5-cache into a tree (in
   * the worker's thread), and removing a tree in the worker's thread (as
   * before) and with `rm -rf` (as now), with the longest the thread was held
   * meanwhile.
   */
  seedMs: number;
  remove: { inProcessMs: number; rmMs: number; longestBlockMs: number };
  worker?: { peakMB: number; jobs: string[]; wallMs: number };
  loadBefore: number;
  loadAfter: number;
}

const env = identityEnv('bench', 'bench@refci.invalid');
const since = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const TICK_MS = 1000 / Number(process.env.BENCH_CLK_TCK ?? 100);

/**
 * CPU time (user + system) of this process's finished child processes, from
 * /proc/self/stat (cutime, cstime): what the git processes of an operation
 * cost, steadier than wall time on a machine shared with other work.
 */
function childCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5); the list here starts at field 3.
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

/** Wall and children's CPU time of `work`. */
async function timed(work: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu = childCpuMs();
  const start = process.hrtime.bigint();
  await work();
  return { wall: since(start), cpu: childCpuMs() - cpu };
}

/** ::gentoo's shape beyond the ebuilds: a Manifest and a metadata.xml per package; the md5-cache is not tracked. */
function completePackages(root: string): void {
  for (const category of fs.readdirSync(root)) {
    if (!category.startsWith('cat-')) continue;
    for (const pkg of fs.readdirSync(path.join(root, category))) {
      fs.writeFileSync(path.join(root, category, pkg, 'Manifest'), `DIST ${pkg}-1.tar.gz 12345 BLAKE2B ${'0'.repeat(128)} SHA512 ${'0'.repeat(128)}\n`);
      fs.writeFileSync(path.join(root, category, pkg, 'metadata.xml'), `<?xml version="1.0" encoding="UTF-8"?>\n<pkgmetadata>\n\t<maintainer type="project"><email>bench@gentoo.org</email></maintainer>\n</pkgmetadata>\n`);
    }
  }
  fs.writeFileSync(path.join(root, '.gitignore'), 'metadata/md5-cache\n');
  fs.mkdirSync(path.join(root, 'licenses'), { recursive: true });
  fs.writeFileSync(path.join(root, 'licenses', 'MIT'), 'MIT\n');
  fs.mkdirSync(path.join(root, 'metadata'), { recursive: true });
  fs.writeFileSync(path.join(root, 'metadata', 'layout.conf'), 'masters =\n');
}

/** Set-up commits of 70,000 files: git directly, without refci's runner, whose stall limit (no output for 2 minutes) a busy disk can pass. */
async function commitAll(dir: string, message: string): Promise<string> {
  const options = { cwd: dir, env: { ...process.env, ...env } };
  await execa('git', ['add', '--all'], options);
  await execa('git', ['commit', '--quiet', '--no-verify', '-m', message], options);
  return (await execa('git', ['rev-parse', 'HEAD'], options)).stdout.trim();
}

/** Peak resident memory (VmHWM) of a process, in MB, read until it exits. */
function watchPeak(pid: number): { stop: () => number } {
  let peakKb = 0;
  const read = () => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // Gone: the last reading stands.
    }
  };
  const timer = setInterval(read, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return peakKb / 1024;
    },
  };
}

export async function checkoutAtGentooSize(root: string, bin: string, options: { worker?: boolean } = {}): Promise<CheckoutFigures> {
  const loadBefore = os.loadavg()[0];
  const dir = path.join(root, 'checkout');
  const source = path.join(dir, 'gentoo');
  const s = GENTOO_SIZE;
  const generated = process.hrtime.bigint();
  generate(source, s.categories, s.packages, s.ebuilds, s.eclasses);
  completePackages(source);
  const generateMs = since(generated);
  const inSource = { cwd: source, env: { ...process.env, ...env } };
  await execa('git', ['init', '--quiet', '--initial-branch=master', source]);
  const base = await commitAll(source, 'base');
  const files = (await git(['ls-tree', '-r', '--name-only', base], { cwd: source })).stdout.split('\n').filter(Boolean).length;
  // A version bump, and an eclass change, each on its own branch from the base.
  await execa('git', ['checkout', '--quiet', '-b', 'pr/bump', base], inSource);
  fs.copyFileSync(path.join(source, 'cat-3/pkg-3/pkg-3-1.ebuild'), path.join(source, 'cat-3/pkg-3/pkg-3-9.ebuild'));
  const bump = await commitAll(source, 'cat-3/pkg-3: bump to 9');
  await execa('git', ['checkout', '--quiet', '-b', 'pr/eclass', base], inSource);
  fs.appendFileSync(path.join(source, 'eclass/e7.eclass'), '# changed\n');
  const eclass = await commitAll(source, 'e7.eclass: change');
  await execa('git', ['checkout', '--quiet', 'master'], inSource);
  const mirror = path.join(dir, 'mirror.git');
  await execa('git', ['clone', '--quiet', '--bare', source, mirror]);

  // Taken in turn, so both see the same load and the same page cache.
  const exports: Array<{ wall: number; cpu: number }> = [];
  const worktrees: Array<{ wall: number; cpu: number }> = [];
  const samples = Number(process.env.BENCH_CHECKOUT_SAMPLES ?? 3);
  let seedMs = 0;
  let treeCheck: { wall: number; cpu: number; changed?: number } = { wall: 0, cpu: 0 };
  const remove = { inProcessMs: 0, rmMs: 0, longestBlockMs: 0 };
  for (let i = 0; i < samples; i++) {
    const out = path.join(dir, `export-${i}`);
    // As a job writes its merged tree: keeping git's index of it, for the check of what the steps changed.
    const index = path.join(dir, `export-${i}.index`);
    exports.push(await timed(() => exportTree(mirror, base, out, { keepIndex: index })));
    if (i === 0) {
      const start = process.hrtime.bigint();
      seedMetadataCache(path.join(source, 'metadata', 'md5-cache'), [out]);
      seedMs = since(start);
      // As a job's folder was removed before: in the worker's thread, which it holds throughout.
      const removal = process.hrtime.bigint();
      removeFolder(out);
      remove.inProcessMs = since(removal);
    }
    if (i === 1) {
      seedMetadataCache(path.join(source, 'metadata', 'md5-cache'), [out]);
      // What the gentoo pipeline reads after its steps: every file that changed, went or appeared (here the 31,000 seeded cache entries).
      let changed = 0;
      treeCheck = await timed(async () => {
        changed = (await changesSinceExport(mirror, index, out)).changed.length;
      });
      treeCheck.changed = changed;
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const start = process.hrtime.bigint();
      await removeFolderAsync(out);
      remove.rmMs = since(start);
      delay.disable();
      remove.longestBlockMs = delay.max / 1e6;
    }
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(index, { force: true });
    const tree = path.join(dir, `worktree-${i}`);
    worktrees.push(await timed(() => git(['worktree', 'add', '--quiet', '--detach', tree, base], { cwd: mirror })));
    fs.rmSync(tree, { recursive: true, force: true });
    await git(['worktree', 'prune'], { cwd: mirror });
    const show = (t: { wall: number; cpu: number }) => `${(t.wall / 1000).toFixed(1)} s wall, ${(t.cpu / 1000).toFixed(1)} s cpu`;
    console.error(`checkout sample ${i + 1}: export ${show(exports[i])}; worktree add ${show(worktrees[i])}; load ${os.loadavg()[0].toFixed(1)}`);
  }
  const merges = { bump: [] as number[], eclass: [] as number[], cpu: [] as number[] };
  const diffs = { bump: [] as number[], eclass: [] as number[], cpu: [] as number[] };
  for (let i = 0; i < 5; i++) {
    for (const [name, head] of [['bump', bump], ['eclass', eclass]] as const) {
      const merge = await timed(async () => {
        if (!(await mergeCommits(mirror, base, head, 'bench merge', env)).merged) throw new Error(`bench merge of ${name} conflicted`);
      });
      merges[name].push(merge.wall);
      merges.cpu.push(merge.cpu);
      const diff = await timed(() => git(['diff', '--name-only', base, head], { cwd: mirror }));
      diffs[name].push(diff.wall);
      diffs.cpu.push(diff.cpu);
    }
  }
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

  let worker: CheckoutFigures['worker'];
  if (options.worker !== false) worker = await workerPeak(dir, bin, source);
  const loadAfter = os.loadavg()[0];
  // The folder goes with the benchmark's own (bench/run.ts), after the figures are printed: removing 300 MB of small files takes minutes on a busy disk.
  return {
    files,
    generateMs,
    exportMs: median(exports.map((t) => t.wall)),
    worktreeMs: median(worktrees.map((t) => t.wall)),
    exportCpuMs: median(exports.map((t) => t.cpu)),
    worktreeCpuMs: median(worktrees.map((t) => t.cpu)),
    // Per operation, over all ten.
    merge: { bumpMs: median(merges.bump), eclassMs: median(merges.eclass), cpuMs: sum(merges.cpu) / merges.cpu.length },
    diff: { bumpMs: median(diffs.bump), eclassMs: median(diffs.eclass), cpuMs: sum(diffs.cpu) / diffs.cpu.length },
    seedMs,
    treeCheck: { wallMs: treeCheck.wall, cpuMs: treeCheck.cpu, changed: treeCheck.changed ?? 0 },
    remove,
    worker,
    loadBefore,
    loadAfter,
  };
}

/** A real worker process (`refci work --once`) running both pull requests with the stand-ins; its own peak memory, not its steps'. */
async function workerPeak(dir: string, bin: string, source: string): Promise<CheckoutFigures['worker']> {
  const coord = path.join(dir, 'coord.git');
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(withStandIns(defaultConfig())));
  const runEnv = { ...process.env, REFCI_STATE_DIR: path.join(dir, 'state'), REFCI_ALLOW_LOCAL_REPOS: '1' };
  await execa('node', [bin, 'init', coord], { env: runEnv });
  const jobs: string[] = [];
  for (const [pr, branch] of [[1, 'pr/bump'], [2, 'pr/eclass']] as const) {
    const out = await execa('node', [bin, 'enqueue', '--coord', coord, '--repo', source, '--base', 'master', '--head', branch, '--pr', String(pr)], { env: runEnv });
    jobs.push(out.stdout.trim());
  }
  const start = process.hrtime.bigint();
  const child = execa('node', [bin, 'work', '--coord', coord, '--once', '--worker-id', 'bench', '--config', configFile], { env: runEnv, stdin: 'ignore', reject: false });
  const peak = watchPeak(child.pid!);
  const done = await child;
  const peakMB = peak.stop();
  const wallMs = since(start);
  if (done.exitCode !== 0) throw new Error(`bench worker exited ${done.exitCode}: ${String(done.stderr).slice(-2000)}`);
  const statuses: string[] = [];
  for (const id of jobs) {
    const result = JSON.parse((await git(['cat-file', 'blob', `refs/ci/results/${id}:result.json`], { cwd: coord })).stdout) as { status: string; reason: string };
    statuses.push(`${id}: ${result.status} (${result.reason})`);
  }
  return { peakMB, jobs: statuses, wallMs };
}

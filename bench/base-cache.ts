/**
 * The base-scan cache: two pull requests on the same base that change the
 * same packages, run one after the other by the worker's own job runner
 * (Workspace, sandbox, gentoo scope, the stand-ins). The pkgcheck stand-in
 * takes BENCH_SCAN_MS_PER_TARGET (default 100) per target, as a real scan's
 * time grows with what it scans. The second job takes the first one's base
 * scan from the cache: its scan time is compared with the first job's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../src/config/defaults.ts';
import type { FleetConfig } from '../src/config/types.ts';
import { withStandIns } from '../src/demo/stand-ins.ts';
import { identityEnv } from '../src/git/identity.ts';
import { initWorkTree } from '../src/git/init.ts';
import { checkoutBranch, checkoutNewBranch, commitAll } from '../src/git/worktree.ts';
import { newJob } from '../src/protocol/job.ts';
import type { ResultRecord } from '../src/protocol/result.ts';
import type { BaseReuseRecord } from '../src/run/base-reuse.ts';
import { pipelineRunner } from '../src/run/job-runner.ts';

export interface BaseCacheFigures {
  targets: number;
  msPerTarget: number;
  first: { scanMs: number; jobMs: number };
  second: { scanMs: number; jobMs: number; reusedFrom?: string; off?: string };
}

const env = identityEnv('bench', 'bench@refci.invalid');
const EBUILD = (n: number, extra: string) => `EAPI=8\nDESCRIPTION="Package ${n}"\nHOMEPAGE="https://example.org"\nSLOT="0"\nLICENSE="MIT"\nKEYWORDS="~amd64"\n${extra}`;

function write(root: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
}

/** A repository of `packages` packages and two PR branches that each change every one of them. */
async function repository(dir: string, packages: number): Promise<{ path: string; base: string; heads: string[] }> {
  await initWorkTree(dir, 'master');
  const files: Record<string, string> = {
    'profiles/repo_name': 'bench\n',
    'profiles/categories': 'app-bench\n',
    'metadata/layout.conf': 'masters =\n',
    'licenses/MIT': 'MIT\n',
    '.gitignore': 'metadata/md5-cache\n',
  };
  for (let n = 0; n < packages; n++) files[`app-bench/p${n}/p${n}-1.ebuild`] = EBUILD(n, '');
  write(dir, files);
  const base = await commitAll(dir, 'base', env);
  const heads: string[] = [];
  for (const pr of [1, 2]) {
    await checkoutNewBranch(dir, `pr/${pr}`, base);
    const change: Record<string, string> = {};
    for (let n = 0; n < packages; n++) change[`app-bench/p${n}/p${n}-1.ebuild`] = EBUILD(n, `# change ${pr}\n`);
    write(dir, change);
    heads.push(await commitAll(dir, `pr ${pr}`, env));
    await checkoutBranch(dir, 'master');
  }
  return { path: dir, base, heads };
}

const scanMs = (result: ResultRecord) => result.steps.filter((s) => s.name.startsWith('scan-')).reduce((sum, s) => sum + s.durationMs, 0);

export async function baseCacheSaving(root: string): Promise<BaseCacheFigures> {
  const targets = 20;
  const msPerTarget = Number(process.env.BENCH_SCAN_MS_PER_TARGET ?? 100);
  const dir = path.join(root, 'base-cache');
  const source = await repository(path.join(dir, 'source'), targets);
  const defaults = withStandIns(defaultConfig());
  const gentoo = defaults.pipelines.gentoo;
  const config: FleetConfig = {
    ...defaults,
    pipelines: {
      ...defaults.pipelines,
      gentoo: { ...gentoo, steps: gentoo.steps.map((step) => (step.name.startsWith('scan-') ? { ...step, env: { REFCI_STANDIN_SCAN_MS_PER_TARGET: String(msPerTarget) } } : step)) },
    },
  };
  const runJob = pipelineRunner({ stateDir: path.join(dir, 'state'), allowLocalRepos: true });
  const run = async (head: string, pr: number) => {
    const job = newJob({ repo: source.path, base: source.base, head, pipeline: 'gentoo', pr, createdAt: new Date().toISOString() });
    const { result } = await runJob({
      job,
      config,
      configCommit: 'b'.repeat(40),
      worker: 'bench',
      attempt: 1,
      tools: { pkgcheck: 'pkgcheck 0.10.41-standin', pmaint: 'pmaint standin' },
      signal: new AbortController().signal,
      now: Date.now,
      abortReason: () => 'stopped',
    });
    if (result.status !== 'success') throw new Error(`bench job ${job.id}: ${result.status}: ${result.reason}`);
    const scope = result.details.scope as { targets: string[] };
    if (scope.targets.length !== targets) throw new Error(`bench job ${job.id} scanned ${scope.targets.length} targets, not ${targets}`);
    return { result, reuse: result.details.baseScanCache as BaseReuseRecord | undefined };
  };
  const first = await run(source.heads[0], 1);
  const second = await run(source.heads[1], 2);
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    targets,
    msPerTarget,
    first: { scanMs: scanMs(first.result), jobMs: first.result.durationMs },
    second: { scanMs: scanMs(second.result), jobMs: second.result.durationMs, reusedFrom: second.reuse?.reused[0]?.fromJob, off: second.reuse?.off },
  };
}

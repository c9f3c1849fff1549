import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { defaultConfig } from '../config/defaults.ts';
import { createSampleEbuildRepo } from './sample-repo.ts';
import { tmpdirOf } from '../host/env.ts';
import { packageRoot } from '../host/package-root.ts';
import { standInDir, withStandIns } from './stand-ins.ts';

export interface DemoOptions {
  out: (line: string) => void;
  dir?: string;
  workers?: number;
  /** The environment its processes get (and whose TMPDIR holds a new folder); process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The whole flow on one machine with real processes: a coordination
 * repository, a sample ebuild repository with a base and PR heads, one job
 * per head, three workers racing for them, and the collector.
 */
export async function runDemo(options: DemoOptions): Promise<{ dir: string; verdicts: Record<string, string> }> {
  const { out } = options;
  const hostEnv = options.env ?? process.env;
  const dir = options.dir ?? fs.mkdtempSync(path.join(tmpdirOf(hostEnv), 'refci-demo-'));
  const coord = path.join(dir, 'coord.git');
  const reports = path.join(dir, 'reports');
  const configFile = path.join(dir, 'demo-config.json');
  const env = { ...hostEnv, REFCI_STATE_DIR: path.join(dir, 'state') };
  const bin = path.join(packageRoot(), 'bin', 'refci.js');
  const refci = async (args: string[]) => {
    const result = await execa('node', [bin, ...args], { env, extendEnv: false, reject: false, stdin: 'ignore' });
    if (result.exitCode !== 0) throw new Error(`refci ${args[0]} failed: ${result.stderr}`);
    return String(result.stdout);
  };

  out(`refci demo in ${dir}`);
  out(`pkgcheck and pmaint are stand-ins from ${standInDir()} that print pkgcheck's real formats`);
  const sample = await createSampleEbuildRepo(path.join(dir, 'gentoo'));
  fs.writeFileSync(configFile, `${JSON.stringify(withStandIns(defaultConfig()), null, 2)}\n`);
  await refci(['init', coord]);
  out('');
  out(`1. enqueue one job per pull request (refs/pull/N/head) of the sample ebuild repository ${sample.path}`);
  // One command for every pull request, as the main host's cron does with --pull-refs or a forge.
  const enqueued = await refci(['enqueue', '--coord', coord, '--pull-refs', sample.path, '--base', 'master']);
  const jobs = new Map<string, string>();
  for (const [, pr, id] of enqueued.matchAll(/^PR #(\d+): enqueued (\S+)/gm)) {
    const name = `pr/${pr}`;
    jobs.set(id, name);
    out(`   ${id}  ${name}: ${sample.heads.find((head) => head.name === name)?.description ?? ''}`);
  }
  if (jobs.size !== sample.heads.length) throw new Error(`refci enqueue --pull-refs queued ${jobs.size} of ${sample.heads.length} pull requests:\n${enqueued}`);
  out('');
  const count = options.workers ?? 3;
  out(`2. ${count} worker processes claim and run them`);
  const workers = Array.from({ length: count }, (_, n) =>
    execa('node', [bin, 'work', '--coord', coord, '--once', '--worker-id', `worker-${n + 1}`, '--config', configFile, '--allow-local-repos'], { env, extendEnv: false, reject: false, stdin: 'ignore' }),
  );
  for (const result of await Promise.all(workers)) {
    for (const line of String(result.stdout).split('\n').filter((l) => / claimed by |: (success|failure|error|cancelled):/.test(l))) {
      out(`   ${line.replace(/^\S+ /, '')}`);
    }
    if (result.exitCode !== 0) out(`   a worker failed: ${result.stderr}`);
  }
  out('');
  out('3. the collector diffs the QA findings per finding, publishes the reports and archives the jobs');
  await refci(['collect', '--coord', coord, '--once', '--out', reports, '--config', configFile]);
  const log = JSON.parse(await refci(['log', '--coord', coord, '--json'])) as { job: string; verdict: string; reason: string }[];
  const verdicts: Record<string, string> = {};
  for (const entry of [...log].reverse()) {
    verdicts[entry.job] = entry.verdict;
    out(`   ${jobs.get(entry.job) ?? entry.job}  ${entry.verdict}: ${entry.reason}`);
  }
  const failing = log.find((entry) => entry.verdict === 'failure');
  out('');
  out('Where to look:');
  out(`   git --git-dir=${coord} log --graph --oneline refs/ci/history    the audit trail`);
  out(`   node ${bin} log --coord ${coord}                                 finished jobs`);
  out(`   ${reports}/<job>/report.md and report.html                       the reports`);
  if (failing) out(`   ${path.join(reports, failing.job, 'report.html')}   a PR with a new error in an already broken package`);
  return { dir, verdicts };
}

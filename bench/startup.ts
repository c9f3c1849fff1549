import { spawnSync } from 'node:child_process';
import path from 'node:path';

export interface StartupTimes {
  node: number;
  help: number;
  status: number;
  hook: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function timed(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  return elapsed;
}

/**
 * Start-up cost of the CLI against a bare `node -e 0`: medians of `samples`
 * runs of each, taken in turn so that a noisy moment spreads over all four.
 * `status` runs against an empty coordination repository (`refci init`), its
 * clone made by a warm-up run, as cron would find it. `hook` is the
 * pre-receive hook as git starts it in that repository for every push, given
 * no ref to check (stdin is empty): its start alone.
 */
export function startupTimes(bin: string, scratch: string, samples = 20): StartupTimes {
  const env = { ...process.env, REFCI_STATE_DIR: path.join(scratch, 'startup-state') };
  const coord = path.join(scratch, 'startup-coord.git');
  timed([bin, 'init', coord], env);
  const runs: Record<keyof StartupTimes, string[]> = {
    node: ['-e', '0'],
    help: [bin, '--help'],
    status: [bin, 'status', '--coord', coord],
    hook: [bin, 'hook', 'pre-receive'],
  };
  const hookEnv = { ...env, GIT_DIR: coord, REFCI_PUSHER: 'main' };
  const envOf = (name: keyof StartupTimes) => (name === 'hook' ? hookEnv : env);
  const times: Record<keyof StartupTimes, number[]> = { node: [], help: [], status: [], hook: [] };
  const names = Object.keys(runs) as (keyof StartupTimes)[];
  for (const name of names) timed(runs[name], envOf(name)); // warm-up: disk cache, the status clone
  for (let i = 0; i < samples; i++) for (const name of names) times[name].push(timed(runs[name], envOf(name)));
  return { node: median(times.node), help: median(times.help), status: median(times.status), hook: median(times.hook) };
}

/**
 * What one process costs the node process that starts it: wall time and the
 * parent's CPU per call, for a bare `true`, a bare `git --version` and the
 * same through refci's git runner (simple-git), calls in a row. The tests and
 * the workers start most of their processes this way, so this is the unit
 * their CPU is counted in.
 */
import { spawn } from 'node:child_process';
import { git } from '../src/git/runner.ts';

export interface SpawnCost {
  label: string;
  wallMs: number;
  parentCpuMs: number;
}

async function measure(label: string, calls: number, call: () => Promise<unknown>): Promise<SpawnCost> {
  await call();
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) await call();
  const used = process.cpuUsage(cpu);
  return { label, wallMs: Number(process.hrtime.bigint() - start) / 1e6 / calls, parentCpuMs: (used.user + used.system) / 1000 / calls };
}

const spawned = (command: string, args: string[]) => () => new Promise((resolve, reject) => spawn(command, args, { stdio: 'ignore' }).on('close', resolve).on('error', reject));

export async function spawnCosts(calls = 200): Promise<{ rssMB: number; costs: SpawnCost[] }> {
  const costs = [
    await measure('true', calls, spawned('true', [])),
    await measure('git --version', calls, spawned('git', ['--version'])),
    await measure('git --version through the runner', calls, () => git(['--version'])),
  ];
  return { rssMB: process.memoryUsage().rss / 1e6, costs };
}

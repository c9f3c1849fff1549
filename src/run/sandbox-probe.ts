import os from 'node:os';
import { loadStateFile, saveStateFile } from '../coord/state-file.ts';
import { detectSandbox, type SandboxProbe } from '../host/sandbox.ts';
import { programIdentity } from '../host/tool-path.ts';

const PROBE_FILE = 'sandbox-probe.json';
/** A probe is trusted this long: a host's namespace settings can change without any program changing. */
const PROBE_TTL_MS = 60 * 60_000;

/**
 * Whether and how bubblewrap works on this host, asked once (three bwrap
 * runs) and kept in the state folder for the next cron run, under what it
 * depends on: the bwrap and prlimit programs found on PATH, the kernel and the
 * user. Any of them changing, or an hour passing, asks again.
 */
export async function sandboxProbe(stateDir: string, env: NodeJS.ProcessEnv, nowMs: number = Date.now()): Promise<SandboxProbe> {
  const key = JSON.stringify([programIdentity('bwrap', env), programIdentity('prlimit', env), os.release(), process.getuid?.() ?? -1]);
  const stored = loadStateFile<{ key?: string; atMs?: number; probe?: SandboxProbe }>(stateDir, PROBE_FILE, () => ({}));
  const age = nowMs - (stored.atMs ?? -Infinity);
  if (stored.key === key && stored.probe && age >= 0 && age < PROBE_TTL_MS) return stored.probe;
  const probe = await detectSandbox({ path: env.PATH ?? '' });
  saveStateFile(stateDir, PROBE_FILE, { key, atMs: nowMs, probe });
  return probe;
}

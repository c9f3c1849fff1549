import type { FleetConfig } from '../config/types.ts';
import type { Clock } from '../host/clock.ts';
import { runStep } from '../host/process.ts';
import { mastersProblems } from './masters-gate.ts';
import { toolVersions } from './tool-versions.ts';
import { readiness, readinessProblem, toolsOfAll, updateCommand, versionProblem, type Readiness } from './versions.ts';
import { loadStateFile, saveStateFile } from '../coord/state-file.ts';
import { programIdentity } from '../host/tool-path.ts';

export interface GateResult extends Readiness {
  /** Versions of every tool the worker's pipelines need, as reported now. */
  versions: Record<string, string>;
}

/**
 * A ready tool is asked its version again after this long, in a daemon and
 * across cron runs (kept in the state folder); a missing one or one below its
 * wanted version after MISSING_RECHECK_MS in a daemon, at every cron run, and
 * at once when its program changes on the host (installed, updated, moved).
 */
const RECHECK_MS = 5 * 60_000;
const MISSING_RECHECK_MS = 30_000;
const VERSIONS_FILE = 'tool-versions.json';

/** Versions by command and program identity (see versions()). */
type StoredVersions = Record<string, { version: string; atMs: number }>;
const ATTEMPTS_FILE = 'tool-updates.json';

/**
 * The check a worker makes before it claims: ask each tool its version, run
 * the host kind's update command (with the configured limit) for a tool that
 * does not report its wanted version, ask again, and say which pipelines it
 * can run. A failed update is tried again only after `updateRetrySec`; the
 * last try of each is kept in the state folder, so cron runs do not hammer
 * the package manager.
 */
export class ToolGate {
  private readonly cache = new Map<string, { version: string; atMs: number }>();

  constructor(
    private readonly stateDir: string,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
    private readonly stop?: AbortSignal,
    /** The environment version and update commands run with; process.env by default. */
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async check(config: FleetConfig, pipelines: string[], hostKind: string): Promise<GateResult> {
    const tools = toolsOfAll(config, pipelines);
    const versions = await this.versions(config, tools, false);
    const notes: Record<string, string> = {};
    for (const tool of tools) {
      const problem = versionProblem(config, tool, versions[tool]);
      if (!problem) continue;
      const argv = updateCommand(config, tool, hostKind);
      if (!argv) {
        notes[tool] = `the configuration has no update command for host kind ${hostKind}`;
        continue;
      }
      const key = JSON.stringify([tool, config.tools[tool].want, hostKind, argv]);
      const attempts = this.loadAttempts();
      const last = attempts[key];
      const retryMs = config.updateRetrySec * 1000;
      if (last !== undefined && this.clock.now() - last < retryMs) {
        notes[tool] = `its update failed; next try in ${Math.ceil((last + retryMs - this.clock.now()) / 60_000)}m`;
        continue;
      }
      this.log(`${problem}: updating with ${argv.join(' ')} (host kind ${hostKind}, limit ${config.updateTimeoutSec}s)`);
      attempts[key] = this.clock.now();
      this.saveAttempts(attempts);
      const outcome = await runStep({
        argv,
        cwd: this.stateDir,
        hostEnv: this.env,
        timeoutMs: config.updateTimeoutSec * 1000,
        signal: this.stop ?? new AbortController().signal,
        logCap: 16 * 1024,
        now: () => this.clock.now(),
      });
      Object.assign(versions, await this.versions(config, [tool], true));
      const still = versionProblem(config, tool, versions[tool]);
      if (!still) {
        this.log(`${tool} updated: now ${JSON.stringify(versions[tool])}`);
        delete attempts[key];
        this.saveAttempts(attempts);
        continue;
      }
      const how = outcome.timedOut
        ? `timed out after ${config.updateTimeoutSec}s`
        : outcome.spawnError
          ? `could not start: ${outcome.spawnError}`
          : outcome.exitCode === 0
            ? 'exited 0'
            : `exited with ${outcome.exitCode ?? outcome.signal}`;
      const tail = outcome.log.toString('utf8').trim().split('\n').pop() ?? '';
      this.log(`${still} after the update, which ${how}${tail ? `: ${tail.slice(0, 200)}` : ''}`);
      notes[tool] = `its update ${how}; next try in ${Math.ceil(retryMs / 60_000)}m`;
    }
    const ready = readiness(config, pipelines, versions, notes);
    // An overlay pipeline whose masters are not there fails every job: refuse it like a missing tool.
    for (const [pipeline, why] of Object.entries(mastersProblems(config, pipelines, this.stateDir))) {
      ready.blocked[pipeline] = ready.blocked[pipeline] ? `${ready.blocked[pipeline]}; ${why}` : why;
      ready.runnable = ready.runnable.filter((name) => name !== pipeline);
    }
    return { ...ready, versions };
  }

  private async versions(config: FleetConfig, tools: string[], fresh: boolean): Promise<Record<string, string>> {
    const now = this.clock.now();
    const stored = loadStateFile<StoredVersions>(this.stateDir, VERSIONS_FILE, () => ({}));
    const versions: Record<string, string> = {};
    const ask: { tool: string; key: string }[] = [];
    for (const tool of tools) {
      const spec = config.tools[tool];
      if (!spec) continue;
      // The command and what its program is on this host now: an installed or updated program is another key.
      const key = JSON.stringify([spec.versionCommand, programIdentity(spec.versionCommand[0] ?? '', this.env)]);
      const cached = this.cache.get(key) ?? stored[key];
      const ready = cached !== undefined && !readinessProblem(config, tool, cached.version);
      const age = cached ? now - cached.atMs : Infinity;
      const usable = !fresh && cached && age >= 0 && age < (ready ? RECHECK_MS : MISSING_RECHECK_MS);
      if (usable) versions[tool] = cached.version;
      else ask.push({ tool, key });
    }
    const answers = await toolVersions(config, ask.map((a) => a.tool), this.env);
    let store = false;
    for (const { tool, key } of ask) {
      const version = answers[tool];
      if (version === undefined) continue;
      versions[tool] = version;
      this.cache.set(key, { version, atMs: now });
      // Kept for the next cron run only when ready: a missing tool or a wrong version is asked again at once.
      if (!readinessProblem(config, tool, version)) {
        stored[key] = { version, atMs: now };
        store = true;
      }
    }
    if (store) {
      const kept = Object.fromEntries(Object.entries(stored).filter(([, entry]) => now - entry.atMs < RECHECK_MS));
      saveStateFile(this.stateDir, VERSIONS_FILE, kept);
    }
    return versions;
  }

  private loadAttempts(): Record<string, number> {
    return loadStateFile<Record<string, number>>(this.stateDir, ATTEMPTS_FILE, () => ({}));
  }

  private saveAttempts(attempts: Record<string, number>): void {
    saveStateFile(this.stateDir, ATTEMPTS_FILE, attempts);
  }
}

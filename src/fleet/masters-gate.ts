import fs from 'node:fs';
import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { missingMasters, missingMastersLine } from '../gentoo/layout-conf.ts';

/**
 * Masters of overlay pipelines, checked before a worker claims. A worker
 * learns which masters a pipeline's repository names from the layout.conf of
 * a run (recorded here, in its state folder); from then on it refuses the
 * pipeline with one line while a named master is not configured, or a
 * configured master's checkout is missing, instead of failing every job.
 */
const FILE = 'repository-masters.json';

type Recorded = Record<string, Record<string, string[]>>;

function load(stateDir: string): Recorded {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(stateDir, FILE), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/** Records the masters a pipeline's repository (by URL) names in its layout.conf. */
export function recordNamedMasters(stateDir: string, pipeline: string, repo: string, names: string[]): void {
  const recorded = load(stateDir);
  const before = JSON.stringify(recorded[pipeline]?.[repo] ?? []);
  if (before === JSON.stringify(names)) return;
  recorded[pipeline] = { ...(recorded[pipeline] ?? {}), [repo]: names };
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(recorded));
  fs.renameSync(`${file}.tmp`, file);
}

/** The masters any recorded repository of a pipeline names, in first-seen order. */
export function namedMasters(stateDir: string, pipeline: string): string[] {
  return [...new Set(Object.values(load(stateDir)[pipeline] ?? {}).flat())];
}

/** Per gentoo pipeline, why its masters stop this worker from running it (one line); pipelines without a problem are absent. */
export function mastersProblems(config: FleetConfig, pipelines: string[], stateDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pipeline of pipelines) {
    const spec = config.pipelines[pipeline];
    if (!spec || spec.kind !== 'gentoo') continue;
    const missing = missingMasters(namedMasters(stateDir, pipeline), spec.masters);
    if (missing.length > 0) {
      out[pipeline] = missingMastersLine(pipeline, missing);
      continue;
    }
    for (const [name, master] of Object.entries(spec.masters ?? {})) {
      // A mirrored master is fetched by the first job that needs it; a fetch that fails is that job's error.
      if (master.path === undefined) continue;
      if (!fs.existsSync(path.join(master.path, 'profiles', 'categories'))) {
        out[pipeline] = `pipelines.${pipeline}.masters.${name}.path is ${master.path}, which holds no ebuild repository (no profiles/categories) on this host; check out ${name} there or correct the path`;
        break;
      }
    }
  }
  return out;
}

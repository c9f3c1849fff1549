import type { FleetConfig, WorkerRule } from '../config/types.ts';

/**
 * Pure: what the configuration says about one worker. `workers` maps a worker
 * id, or a pattern with `*`, to a rule; the exact id wins, then the first
 * pattern that matches in the order written.
 */
export const DEFAULT_HOST_KIND = 'default';

export function matchesPattern(pattern: string, id: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
  return regex.test(id);
}

export function ruleFor(config: FleetConfig, workerId: string): WorkerRule | undefined {
  if (Object.hasOwn(config.workers, workerId)) return config.workers[workerId];
  for (const [pattern, rule] of Object.entries(config.workers)) {
    if (pattern.includes('*') && matchesPattern(pattern, workerId)) return rule;
  }
  return undefined;
}

export function hostKindOf(config: FleetConfig, workerId: string, override?: string): string {
  return override ?? ruleFor(config, workerId)?.kind ?? DEFAULT_HOST_KIND;
}

/** Pipelines the worker may run: those the configuration allows it, narrowed by its own `--pipelines`. */
export function allowedPipelines(config: FleetConfig, workerId: string, restrict?: string[]): string[] {
  const allowed = ruleFor(config, workerId)?.pipelines ?? Object.keys(config.pipelines);
  return allowed.filter((name) => config.pipelines[name] && (!restrict || restrict.includes(name)));
}

import type { FleetConfig } from '../config/types.ts';

/**
 * Pure: wanted tool versions against the versions a worker reports. A
 * version line such as `pkgcheck 0.10.30` meets `0.10.30` and `0.10`, not
 * `0.10.3`: a token of the line must equal the wanted version or start with it
 * followed by a dot (a leading `v` is ignored).
 */
export function versionMatches(line: string, want: string): boolean {
  const wanted = want.replace(/^v(?=\d)/, '');
  return line
    .split(/[\s,;()"']+/)
    .map((token) => token.replace(/^v(?=\d)/, ''))
    .some((token) => token === wanted || token.startsWith(`${wanted}.`));
}

/** The tools a pipeline needs: git always, then those it names. */
export function toolsOf(config: FleetConfig, pipeline: string): string[] {
  return ['git', ...(config.pipelines[pipeline]?.tools ?? [])].filter((tool, index, all) => all.indexOf(tool) === index);
}

export function toolsOfAll(config: FleetConfig, pipelines: string[]): string[] {
  return [...new Set(pipelines.flatMap((pipeline) => toolsOf(config, pipeline)))];
}

/** Why a tool does not meet its wanted version; undefined when it does or nothing is wanted. */
export function versionProblem(config: FleetConfig, tool: string, version: string | undefined): string | undefined {
  const want = config.tools[tool]?.want;
  if (!want) return undefined;
  if (version === undefined || version === 'missing') return `${tool} is missing, wanted ${want}`;
  if (versionMatches(version, want)) return undefined;
  return `${tool} is ${JSON.stringify(version)}, wanted ${want}`;
}

/**
 * Why a tool keeps its pipelines from being claimed on this host; undefined
 * when it is ready. A tool must answer its version command whether or not a
 * version is wanted: a worker without it would claim jobs only to fail them
 * all with "No such file or directory", each a red status on a PR.
 */
export function readinessProblem(config: FleetConfig, tool: string, version: string | undefined): string | undefined {
  const spec = config.tools[tool];
  if (!spec) return `the configuration's tools has no ${tool}`;
  const problem = versionProblem(config, tool, version);
  if (problem) return problem;
  if (version === undefined || version === 'missing') return `\`${spec.versionCommand.join(' ')}\` does not run: ${tool} is missing on this host`;
  return undefined;
}

export interface Readiness {
  /** Pipelines whose tools all answer on this host and meet their wanted versions. */
  runnable: string[];
  /** The others, each with why. */
  blocked: Record<string, string>;
}

/** `notes` adds, per tool, what was done about it (an update that failed, no update command). */
export function readiness(config: FleetConfig, pipelines: string[], versions: Record<string, string>, notes: Record<string, string> = {}): Readiness {
  const runnable: string[] = [];
  const blocked: Record<string, string> = {};
  for (const pipeline of pipelines) {
    const problems = toolsOf(config, pipeline)
      .map((tool) => {
        const problem = readinessProblem(config, tool, versions[tool]);
        return problem && notes[tool] ? `${problem} (${notes[tool]})` : problem;
      })
      .filter((problem): problem is string => problem !== undefined);
    if (problems.length === 0) runnable.push(pipeline);
    else blocked[pipeline] = problems.join('; ');
  }
  return { runnable, blocked };
}

/** The update command of a tool for a host kind, with `{tool}` and `{want}` filled in. */
export function updateCommand(config: FleetConfig, tool: string, hostKind: string): string[] | undefined {
  const spec = config.tools[tool];
  const argv = spec?.update?.[hostKind];
  if (!argv || !spec.want) return undefined;
  return argv.map((arg) => arg.replaceAll('{tool}', tool).replaceAll('{want}', spec.want!));
}

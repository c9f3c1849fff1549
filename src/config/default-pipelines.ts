import type { PipelineConfig, ToolConfig } from './types.ts';

/**
 * The built-in pipelines and tools: what `refci init` writes to the
 * configuration branch and what a host without a configuration runs.
 * The gentoo pipeline runs Gentoo CI's own commands.
 */
export const DEFAULT_PIPELINES: Record<string, PipelineConfig> = {
  noop: { kind: 'steps', checkout: false, steps: [] },
  // A tree is a copy without .git (run/workspace.ts): a step looks at files, and the commits come as {base} {head}.
  check: {
    kind: 'steps',
    checkout: true,
    steps: [{ name: 'show', run: ['ls', '-A'], timeoutSec: 60 }],
  },
  // pmaint and pkgcheck read the job's own portage configuration (pkgcore's --config, before the subcommand):
  // a repos.conf naming the tree and its masters where the job reads them (run/portage-config.ts).
  gentoo: {
    kind: 'gentoo',
    checkout: true,
    tools: ['pkgcheck', 'pmaint'],
    steps: [
      {
        name: 'regen',
        run: ['pmaint', '--config', '{portageconfig}', 'regen', '--use-local-desc', '--pkg-desc-index', '-t', '{jobs}', '{workdir}'],
        timeoutSec: 600,
        sandbox: true,
      },
      {
        name: 'scan-head',
        run: ['pkgcheck', '--config', '{portageconfig}', 'scan', '-R', 'JsonStream', '-p', 'stable,dev', '--cache=-git', '{targets}'],
        timeoutSec: 2700,
        stdoutArtifact: 'outputs/head.jsonl',
        sandbox: true,
      },
      {
        name: 'regen-base',
        tree: 'base',
        run: ['pmaint', '--config', '{portageconfig}', 'regen', '--use-local-desc', '--pkg-desc-index', '-t', '{jobs}', '{basedir}'],
        timeoutSec: 600,
        sandbox: true,
      },
      {
        name: 'scan-base',
        tree: 'base',
        run: ['pkgcheck', '--config', '{portageconfig}', 'scan', '-R', 'JsonStream', '-p', 'stable,dev', '--cache=-git', '{targets}'],
        timeoutSec: 2700,
        stdoutArtifact: 'outputs/base.jsonl',
        sandbox: true,
      },
      // pkgcheck's own messages and levels, for the reports: the JsonStream scans carry only attributes.
      {
        name: 'messages-head',
        run: ['pkgcheck', 'replay', '-R', 'JsonReporter', '-'],
        timeoutSec: 300,
        stdinArtifact: 'outputs/head.jsonl',
        stdoutArtifact: 'outputs/head.messages.jsonl',
        sandbox: true,
        optional: true,
      },
      {
        name: 'messages-base',
        run: ['pkgcheck', 'replay', '-R', 'JsonReporter', '-'],
        timeoutSec: 300,
        stdinArtifact: 'outputs/base.jsonl',
        stdoutArtifact: 'outputs/base.messages.jsonl',
        sandbox: true,
        optional: true,
      },
    ],
  },
};

export const DEFAULT_TOOLS: Record<string, ToolConfig> = {
  git: { versionCommand: ['git', '--version'] },
  pkgcheck: { versionCommand: ['pkgcheck', '--version'] },
  pmaint: { versionCommand: ['pmaint', '--version'] },
};

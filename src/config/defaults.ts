import type { FleetConfig } from './types.ts';

/**
 * Working defaults: `refci init` writes these to the configuration branch and
 * a host without any configuration runs on them.
 */
export function defaultConfig(): FleetConfig {
  return {
    version: 1,
    leaseSec: 300,
    maxAttempts: 3,
    jobTimeoutSec: 3600,
    logCapBytes: 256 * 1024,
    artifactCapBytes: 16 * 1024 * 1024,
    sandbox: 'auto',
    presenceSec: 180,
    updateTimeoutSec: 900,
    updateRetrySec: 1800,
    pipelines: {
      noop: { kind: 'steps', checkout: false, steps: [] },
      check: {
        kind: 'steps',
        checkout: true,
        steps: [{ name: 'show', run: ['git', 'log', '--oneline', '-3'], timeoutSec: 60 }],
      },
      gentoo: {
        kind: 'gentoo',
        checkout: true,
        tools: ['pkgcheck', 'pmaint'],
        steps: [
          {
            name: 'regen',
            run: ['pmaint', 'regen', '--use-local-desc', '--pkg-desc-index', '-t', '{jobs}', '{workdir}'],
            timeoutSec: 600,
            sandbox: true,
          },
          {
            name: 'scan-head',
            run: ['pkgcheck', 'scan', '-R', 'JsonStream', '-p', 'stable,dev', '--cache=-git', '{targets}'],
            timeoutSec: 2700,
            stdoutArtifact: 'outputs/head.jsonl',
            sandbox: true,
          },
          {
            name: 'regen-base',
            tree: 'base',
            run: ['pmaint', 'regen', '--use-local-desc', '--pkg-desc-index', '-t', '{jobs}', '{basedir}'],
            timeoutSec: 600,
            sandbox: true,
          },
          {
            name: 'scan-base',
            tree: 'base',
            run: ['pkgcheck', 'scan', '-R', 'JsonStream', '-p', 'stable,dev', '--cache=-git', '{targets}'],
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
    },
    tools: {
      git: { versionCommand: ['git', '--version'] },
      pkgcheck: { versionCommand: ['pkgcheck', '--version'] },
      pmaint: { versionCommand: ['pmaint', '--version'] },
    },
    workers: {},
    gentoo: { maxTargets: 200, countWarnings: false },
    forges: {},
  };
}

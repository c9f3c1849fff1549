import type { CommandListing } from '../command.ts';

/**
 * Every command: its name and summary, which `refci --help` lists, and a loader
 * for the module with its options, help and code. Loaders are dynamic imports
 * so that a start loads only the command it runs (each one is its own chunk in
 * dist/); the summary lives here only, so listing costs no import.
 */
export const commands: CommandListing[] = [
  {
    name: 'init',
    summary: 'create a bare coordination repository with the default configuration on refs/heads/config',
    load: async () => (await import('./init.ts')).initCommand,
  },
  {
    name: 'enqueue',
    summary: 'queue jobs: one head onto a base, a forge\'s pull requests, or refs/pull/*/head',
    load: async () => (await import('./enqueue.ts')).enqueueCommand,
  },
  {
    name: 'work',
    summary: 'claim and run jobs (--once for cron, a daemon otherwise)',
    load: async () => (await import('./work.ts')).workCommand,
  },
  {
    name: 'collect',
    summary: 'decide verdicts of finished jobs, publish them (folder, forge) and archive the jobs',
    load: async () => (await import('./collect.ts')).collectCommand,
  },
  {
    name: 'status',
    summary: 'the queue, running jobs, failures, workers and the last day\'s wait and run times',
    load: async () => (await import('./status.ts')).statusCommand,
  },
  {
    name: 'log',
    summary: 'finished jobs from the history branch, newest first',
    load: async () => (await import('./log.ts')).logCommand,
  },
  {
    name: 'site',
    summary: 'a static status page (HTML with charts, and JSON) for any web server',
    load: async () => (await import('./site.ts')).siteCommand,
  },
  {
    name: 'logs',
    summary: 'a job\'s step logs: finished, archived, or running (--follow prints them as they come)',
    load: async () => (await import('./logs.ts')).logsCommand,
  },
  {
    name: 'cancel',
    summary: 'cancel live jobs: a queued job is never claimed, a running one stops at its next heartbeat',
    load: async () => (await import('./cancel.ts')).cancelCommand,
  },
  {
    name: 'worker',
    summary: 'drain a worker (it finishes its job and claims no more) or undrain it; add its signing key to allowed_signers',
    load: async () => (await import('./worker.ts')).workerCommand,
  },
  {
    name: 'config',
    summary: 'check, show or create the fleet configuration (refs/heads/config)',
    load: async () => (await import('./config.ts')).configCommand,
  },
  {
    name: 'doctor',
    summary: 'check this host: git, access to the coordination repository, configuration, tools, sandbox, disk',
    load: async () => (await import('./doctor.ts')).doctorCommand,
  },
  {
    name: 'hook',
    summary: 'the coordination repository\'s pre-receive hook: who may push what (refci init --hooks installs it)',
    load: async () => (await import('./hook.ts')).hookCommand,
  },
  {
    name: 'audit',
    summary: 'prove the queue\'s invariants from the coordination repository alone: archives, lock chains, results, fsck',
    load: async () => (await import('./audit.ts')).auditCommand,
  },
  {
    name: 'retry',
    summary: 'run a live or archived job again, as a new job (retry n) that names the old one',
    load: async () => (await import('./retry.ts')).retryCommand,
  },
  {
    name: 'qa-diff',
    summary: 'diff two pkgcheck outputs per finding: new, fixed and pre-existing, with a verdict',
    load: async () => (await import('./qa-diff.ts')).qaDiffCommandDef,
  },
  {
    name: 'demo',
    summary: 'run the whole flow on one machine in a temporary folder, nothing to configure',
    load: async () => (await import('./demo.ts')).demoCommand,
  },
];

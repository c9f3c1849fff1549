/**
 * Pure: whether a failed step failed because of this host (its tool could
 * not be started, or the sandbox could not start) rather than because of the
 * pull request. Such a job is handed back to the fleet instead of judged: a
 * missing pmaint must never become a red status on somebody's PR.
 *
 * | failure | whose |
 * | --- | --- |
 * | the tool could not be spawned (ENOENT, EACCES) | infrastructure |
 * | exit 127 or 126 (command not found, not executable) | infrastructure |
 * | `bwrap: execvp <tool>: ...` (the tool is missing inside the sandbox) | infrastructure |
 * | any other `bwrap: ...` line from a sandboxed step that did not start | infrastructure |
 * | any other exit code, a signal, a timeout, a cut output | the pull request's (judged) |
 */
export interface FailedStep {
  name: string;
  /** The argv the step was configured with (before the sandbox wrapped it). */
  argv: string[];
  exitCode: number | null;
  spawnError?: string;
  sandboxed: boolean;
  log: string;
}

/** The reason to give, `CI infrastructure problem: ...`; undefined when the failure is the job's own. */
export function infrastructureProblem(step: FailedStep): string | undefined {
  const tool = step.argv[0] ?? 'the tool';
  const problem = (what: string) => `CI infrastructure problem: step ${step.name} ${what}`;
  if (step.spawnError) return problem(`could not start ${tool}: ${oneLine(step.spawnError)}`);
  const execvp = /^bwrap: execvp [^\n]*$/m.exec(step.log)?.[0];
  if (execvp) return problem(`could not start ${tool} in the sandbox: ${oneLine(execvp)}`);
  if (step.exitCode === 127) return problem(`could not start ${tool}: exit 127, command not found`);
  if (step.exitCode === 126) return problem(`could not start ${tool}: exit 126, not executable`);
  // bwrap reports its own failures as `bwrap: ...` and exits 1 before the tool runs.
  const bwrap = step.sandboxed ? /^bwrap: [^\n]*$/m.exec(step.log)?.[0] : undefined;
  if (bwrap) return problem(`could not start the sandbox: ${oneLine(bwrap)}`);
  return undefined;
}

function oneLine(text: string): string {
  const line = text.trim().split('\n')[0];
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

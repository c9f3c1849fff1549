import type { ResultRecord, StepReport } from '../protocol/result.ts';
import { scrubBytes } from '../protocol/scrub.ts';

/**
 * Step logs as they are published beside a job's report (`logs/<step>.log`
 * in its report folder and its history entry), and the excerpt an error
 * report shows. The log bytes come from the result commit, written by a
 * worker: a step name that could leave the folder is skipped, and the
 * excerpt is scrubbed once more (the worker scrubs too).
 */
const SAFE_STEP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const EXCERPT_LINES = 40;
/** A line longer than this is cut: 40 of them must fit in a forge comment (GitHub takes 65,536 characters) with the rest of the report. */
const EXCERPT_LINE_CHARS = 500;

export function logFileOf(step: Pick<StepReport, 'name'>): string | undefined {
  return SAFE_STEP.test(step.name) ? `logs/${step.name}.log` : undefined;
}

/** Every step's log, by the name it has beside the report; a step whose log is missing is left out. */
export async function stepLogs(result: ResultRecord, readArtifact: (file: string) => Promise<Buffer | undefined>): Promise<Record<string, Uint8Array>> {
  const out: Record<string, Uint8Array> = {};
  for (const step of result.steps) {
    const name = logFileOf(step);
    if (!name || !step.log) continue;
    const bytes = await readArtifact(step.log);
    if (bytes) out[name] = bytes;
  }
  return out;
}

/** How a step ended, in the words of the step tables of comments and reports. */
export function stepOutcomeText(step: Pick<StepReport, 'timedOut' | 'exitCode' | 'signal'>): string {
  if (step.timedOut) return 'timed out';
  if (step.exitCode !== null) return `exit ${step.exitCode}`;
  return step.signal ? `stopped by ${step.signal}` : 'did not run';
}

/** The step that ended a run that did not pass: the last one, when it failed; undefined when the steps all passed (a checkout or merge failure). */
export function failedStep(result: ResultRecord): StepReport | undefined {
  if (result.status === 'success') return undefined;
  const last = result.steps.at(-1);
  if (!last) return undefined;
  const failed = last.timedOut || last.cancelled || last.signal !== null || last.exitCode !== 0;
  return failed ? last : undefined;
}

export interface LogExcerpt {
  step: string;
  /** Where the whole log is, relative to the report (`logs/<step>.log`), when published. */
  file?: string;
  lines: string[];
  /** Lines in the whole log. */
  total: number;
}

/** The last lines of the failed step's log, scrubbed; undefined without a failed step or its log. */
export async function failedStepExcerpt(result: ResultRecord, readArtifact: (file: string) => Promise<Buffer | undefined>, max = EXCERPT_LINES): Promise<LogExcerpt | undefined> {
  const step = failedStep(result);
  if (!step?.log) return undefined;
  const bytes = await readArtifact(step.log);
  if (!bytes) return undefined;
  const all = scrubBytes(bytes).toString('utf8').replace(/\n$/, '').split('\n');
  const lines = all.slice(-max).map((line) => (line.length > EXCERPT_LINE_CHARS ? `${line.slice(0, EXCERPT_LINE_CHARS - 1)}…` : line));
  return { step: step.name, file: logFileOf(step), lines, total: all.length };
}

/** A fence longer than any run of backticks in the text, so the log cannot close it. */
function fenceFor(lines: string[]): string {
  const longest = Math.max(0, ...lines.map((line) => Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length))));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** The excerpt as a collapsed block for a comment; the link to the whole log when the report has an http(s) address. */
export function excerptMarkdown(excerpt: LogExcerpt, reportUrl?: string): string {
  const shown = excerpt.lines.length < excerpt.total ? `last ${excerpt.lines.length} of ${excerpt.total} lines` : `${excerpt.total} line${excerpt.total === 1 ? '' : 's'}`;
  const fence = fenceFor(excerpt.lines);
  let link = '';
  if (excerpt.file && reportUrl && /^https?:\/\//.test(reportUrl)) {
    try {
      link = `\nThe whole log: ${new URL(excerpt.file, reportUrl).href}\n`;
    } catch {
      link = '';
    }
  }
  // The step name is safe (SAFE_STEP) or only shown in code; nothing in the log is interpreted inside the fence.
  const name = SAFE_STEP.test(excerpt.step) ? excerpt.step : 'the failed step';
  return `\n<details><summary>Log of ${name}: ${shown}</summary>\n\n${fence}text\n${excerpt.lines.join('\n')}\n${fence}\n${link}\n</details>\n`;
}

/**
 * `refci qa-diff --base FILE --head FILE [--base-messages FILE]
 * [--head-messages FILE] [--format json|markdown|html] [--classes FILE]
 * [--excludes FILE]`: the file-reading shell around the pure
 * QA diff (src/qa/run.ts). Every file problem is a RefciError('invalid-input')
 * naming the file.
 */
import fs from 'node:fs/promises';
import { RefciError } from '../errors.ts';
import { validateKeywordClasses, type KeywordClassMap } from '../qa/classes.ts';
import { validateExcludes, type Excludes } from '../qa/excludes.ts';
import type { ReportMeta } from '../qa/report-model.ts';
import { runQaDiff, type ReportFormat } from '../qa/run.ts';
import type { Verdict } from '../qa/verdict.ts';

export interface QaDiffCommandOptions extends ReportMeta {
  /** pkgcheck output of the base scan (JsonStream, JsonReporter or XmlReporter). */
  base: string;
  /** pkgcheck output of the head scan, same reporter as base. */
  head: string;
  /** `pkgcheck replay -R JsonReporter` of a JsonStream base or head: pkgcheck's messages in the report. */
  baseMessages?: string;
  headMessages?: string;
  format?: ReportFormat;
  /** JSON keyword -> class map replacing Gentoo CI's (pkgcheck2html.conf.json shape). */
  classes?: string;
  /** JSON excludes in Gentoo CI's excludes.json shape. */
  excludes?: string;
  countWarnings?: boolean;
  tolerateProblems?: boolean;
  pipelineError?: string;
}

const FORMATS: readonly ReportFormat[] = ['json', 'markdown', 'html'];

async function readText(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'does not exist' : e.code === 'EISDIR' ? 'is a directory' : e.code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${e.message})`;
    throw new RefciError('invalid-input', `${what} file ${file} ${why}`, `pass the path of a readable ${what} file`, { file });
  }
}

async function readJson(file: string, what: string): Promise<unknown> {
  const text = await readText(file, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RefciError('invalid-input', `${what} file ${file} is not valid JSON: ${(error as Error).message}`, `fix the JSON in ${file}`, { file });
  }
}

export async function qaDiffCommand(opts: QaDiffCommandOptions): Promise<{ output: string; verdict: Verdict }> {
  const format = opts.format ?? 'json';
  if (!FORMATS.includes(format)) {
    throw new RefciError('usage', `unknown report format ${JSON.stringify(format)}`, `use --format ${FORMATS.join(', --format ')}`);
  }
  const [baseText, headText, baseMessagesText, headMessagesText] = await Promise.all([
    readText(opts.base, 'base pkgcheck output'),
    readText(opts.head, 'head pkgcheck output'),
    opts.baseMessages === undefined ? undefined : readText(opts.baseMessages, 'base replay'),
    opts.headMessages === undefined ? undefined : readText(opts.headMessages, 'head replay'),
  ]);
  let classes: KeywordClassMap | undefined;
  if (opts.classes !== undefined) {
    const value = await readJson(opts.classes, 'keyword classes');
    classes = validateKeywordClasses(value, `keyword classes file ${opts.classes}`);
  }
  let excludes: Excludes | undefined;
  if (opts.excludes !== undefined) {
    const value = await readJson(opts.excludes, 'excludes');
    excludes = validateExcludes(value, `excludes file ${opts.excludes}`);
  }
  const { output, verdict } = runQaDiff({
    baseText,
    headText,
    baseMessagesText,
    headMessagesText,
    format,
    classes,
    excludes,
    countWarnings: opts.countWarnings,
    tolerateProblems: opts.tolerateProblems,
    pipelineError: opts.pipelineError,
    headSha: opts.headSha,
    baseSha: opts.baseSha,
    jobId: opts.jobId,
    reportUrl: opts.reportUrl,
    title: opts.title,
  });
  return { output, verdict };
}

/**
 * The verdict on a pull request: `failure` when the head has a new finding
 * that counts, `error` when the pipeline failed (the caller says so, or the
 * pkgcheck output could not be read), `success` otherwise; always with a
 * reason a human can read in one line.
 */
import type { DiffEntry, QaDiff } from './diff.ts';
import type { Verdict as AnyVerdict } from '../protocol/verdict.ts';
import { describeLocation } from './types.ts';

/** A QA diff never says cancelled. */
export type VerdictStatus = 'success' | 'failure' | 'error';
export type Verdict = AnyVerdict<VerdictStatus>;

export interface VerdictOptions {
  /** Set when the pipeline failed; the verdict is then `error` with this as its cause. */
  pipelineError?: string;
  /** How many new findings to name in the reason before "and N more" (default 3). */
  nameAtMost?: number;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function nameEntry(e: DiffEntry): string {
  return `${e.keyword} (${describeLocation(e.location)})`;
}

function newPart(counting: DiffEntry[], nameAtMost: number): string {
  const errors = counting.filter((e) => e.class !== 'warn').length;
  const warnings = counting.length - errors;
  const what = [errors > 0 ? plural(errors, 'new error') : '', warnings > 0 ? plural(warnings, 'new warning') : '']
    .filter(Boolean)
    .join(' and ');
  const named = counting.slice(0, nameAtMost).map(nameEntry).join(', ');
  const more = counting.length > nameAtMost ? ` and ${counting.length - nameAtMost} more` : '';
  return `${what}: ${named}${more}`;
}

export function verdictOf(diff: QaDiff | null, options: VerdictOptions = {}): Verdict {
  const nameAtMost = options.nameAtMost ?? 3;
  const parts: string[] = [];
  let status: VerdictStatus = 'success';
  if (diff) {
    const carried = diff.carriedOver ?? [];
    const counting = [...diff.new, ...carried].filter((e) => e.counts);
    const fixed = diff.fixed.filter((e) => e.counts).length;
    if (counting.length > 0) {
      status = 'failure';
      parts.push(newPart(counting, nameAtMost));
    } else {
      parts.push('no new errors');
    }
    if (fixed > 0) parts.push(`${fixed} fixed`);
    const other = diff.new.length - counting.length;
    if (other > 0) parts.push(`${plural(other, 'new finding')} that ${other === 1 ? 'does' : 'do'} not count`);
    const carriedQuiet = carried.filter((e) => !e.counts).length;
    if (carriedQuiet > 0) parts.push(`${plural(carriedQuiet, 'finding')} carried over from older versions, not counted`);
  }
  if (options.pipelineError !== undefined) {
    status = 'error';
    parts.unshift(`the check failed: ${options.pipelineError}`);
  }
  return { status, reason: parts.join('; ') };
}

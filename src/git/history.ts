import { decodeSummary, summaryPath, type Summary } from '../protocol/history.ts';
import { HISTORY_REF } from '../protocol/refs.ts';
import type { CoordClone } from './clone.ts';
import { readFiles } from './objects.ts';
import { git } from './run.ts';

/** Ids among `ids` that the history branch already holds. */
export async function archivedIds(clone: CoordClone, ids: string[]): Promise<Set<string>> {
  const tip = await clone.ref(HISTORY_REF);
  if (!tip || ids.length === 0) return new Set();
  const specs = ids.map((id) => `${tip}:${summaryPath(id)}`);
  // A limit of zero bytes asks only whether each file exists, without reading it.
  const found = await readFiles(clone.gitdir, specs, 0);
  return new Set(ids.filter((_, index) => found.get(specs[index])?.kind !== 'missing'));
}

/** The newest `limit` archived jobs, newest first, read from the history branch's first-parent chain. */
export async function readHistory(clone: CoordClone, limit: number): Promise<Summary[]> {
  const tip = await clone.ref(HISTORY_REF);
  if (!tip) return [];
  const log = await git(['log', '--first-parent', `--max-count=${limit}`, '--format=%H %s', tip], { cwd: clone.gitdir });
  const specs: string[] = [];
  for (const line of log.stdout.split('\n')) {
    const match = /^([0-9a-f]+) archive ([A-Za-z0-9_-]+):/.exec(line);
    if (match) specs.push(`${match[1]}:${summaryPath(match[2])}`);
  }
  const files = await readFiles(clone.gitdir, specs, 64 * 1024);
  const summaries: Summary[] = [];
  for (const spec of specs) {
    const outcome = files.get(spec);
    if (outcome?.kind !== 'ok') continue;
    const decoded = decodeSummary(outcome.content);
    if (decoded.ok) summaries.push(decoded.value);
  }
  return summaries;
}

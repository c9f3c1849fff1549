import { git } from './runner.ts';

export interface LogEntry {
  oid: string;
  /** Committer time, seconds since the epoch. */
  committedSec: number;
  /** Trailers of the message (`Refci-Job: <id>`), last value per key. */
  trailers: Record<string, string>;
}

const SEPARATOR = '\x1e';

/**
 * The first-parent chain from `tip`, newest first: ids, committer times and
 * trailers. Trailers, not subjects, are machine input: the subject is for people.
 */
export async function firstParentLog(gitdir: string, tip: string, maxCount: number): Promise<LogEntry[]> {
  const format = `%H %ct%n%(trailers:only,unfold)${SEPARATOR}`;
  const out = await git(['log', '--first-parent', `--max-count=${maxCount}`, `--format=${format}`, '--end-of-options', tip, '--'], { cwd: gitdir });
  const entries: LogEntry[] = [];
  for (const chunk of out.stdout.split(SEPARATOR)) {
    const lines = chunk.split('\n').filter(Boolean);
    const head = /^([0-9a-f]{40,64}) (\d+)$/.exec(lines.shift() ?? '');
    if (!head) continue;
    const trailers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(': ');
      if (colon > 0) trailers[line.slice(0, colon)] = line.slice(colon + 2);
    }
    entries.push({ oid: head[1], committedSec: Number(head[2]), trailers });
  }
  return entries;
}

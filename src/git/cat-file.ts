import { git } from './runner.ts';

export type ReadOutcome = { kind: 'ok'; content: Buffer } | { kind: 'missing' } | { kind: 'too-large'; size: number };

/**
 * Reads `<rev>:<path>` for many specs with two processes in all: a size check,
 * then the contents of those within `maxBytes`. A hostile huge file is never
 * loaded into memory. A limit of zero asks only whether each exists.
 */
export async function readFiles(gitdir: string, specs: string[], maxBytes: number): Promise<Map<string, ReadOutcome>> {
  const outcomes = new Map<string, ReadOutcome>();
  if (specs.length === 0) return outcomes;
  const check = await git(['cat-file', '--batch-check=%(objecttype) %(objectsize)'], { cwd: gitdir, input: `${specs.join('\n')}\n` });
  const lines = check.stdout.split('\n');
  const wanted: string[] = [];
  specs.forEach((spec, index) => {
    const [type, size] = (lines[index] ?? '').split(' ');
    if (type !== 'blob') outcomes.set(spec, { kind: 'missing' });
    else if (Number(size) > maxBytes) outcomes.set(spec, { kind: 'too-large', size: Number(size) });
    else wanted.push(spec);
  });
  if (wanted.length === 0) return outcomes;
  const { raw } = await git(['cat-file', '--batch'], { cwd: gitdir, input: `${wanted.join('\n')}\n` });
  let offset = 0;
  for (const spec of wanted) {
    const newline = raw.indexOf(0x0a, offset);
    const header = raw.subarray(offset, newline).toString();
    const size = Number(header.split(' ')[2]);
    offset = newline + 1;
    outcomes.set(spec, { kind: 'ok', content: raw.subarray(offset, offset + size) });
    offset += size + 1;
  }
  return outcomes;
}

/** Reads one file of a commit, or undefined when it is missing or over the limit. */
export async function readFile(gitdir: string, rev: string, file: string, maxBytes: number): Promise<Buffer | undefined> {
  const spec = `${rev}:${file}`;
  const outcome = (await readFiles(gitdir, [spec], maxBytes)).get(spec);
  return outcome?.kind === 'ok' ? outcome.content : undefined;
}

/** Whether the repository holds `rev` as a commit. */
export async function hasCommit(gitdir: string, rev: string): Promise<boolean> {
  return (await git(['cat-file', '-e', '--end-of-options', `${rev}^{commit}`], { cwd: gitdir, allowFailure: true })).exitCode === 0;
}

import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { git } from '../../src/git/runner.ts';
import { ROOT } from '../helpers/root.ts';

/** The pkgcheck and pmaint stand-ins. */
export const STANDIN_BIN = path.join(ROOT, 'src', 'demo', 'bin');
/** Real pkgcheck output (copied from shared/fixtures/pkgcheck; see SOURCE.md there). */
export const PKGCHECK_FIXTURES = path.join(ROOT, 'test', 'fixtures', 'pkgcheck');

export interface ToolRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a stand-in by absolute path (no PATH lookup), never throwing on a non-zero exit. */
export async function standin(tool: 'pkgcheck' | 'pmaint', args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<ToolRun> {
  const result = await execa(path.join(STANDIN_BIN, tool), args, { cwd: options.cwd, env: options.env, reject: false, stripFinalNewline: false });
  return { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? -1 };
}

export function fixture(...parts: string[]): string {
  return fs.readFileSync(path.join(PKGCHECK_FIXTURES, ...parts), 'utf8');
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const PUBLIC_NAMES: Record<string, string> = { EbuildUnquotedVariable: 'UnquotedVariable' };

/** JsonStream findings as `<cat/pkg[-ver] | cat | repo | eclass:name> <PublicKeyword>`, sorted. */
export function notation(jsonStream: string): string[] {
  return jsonLines(jsonStream)
    .map((r) => {
      const cls = String(r.__class__);
      const name = PUBLIC_NAMES[cls] ?? cls;
      let place = 'repo';
      if (typeof r.version === 'string') place = `${r.category}/${r.package}-${r.version}`;
      else if (typeof r.package === 'string') place = `${r.category}/${r.package}`;
      else if (typeof r.category === 'string') place = String(r.category);
      else if (typeof r.eclass === 'string') place = `eclass:${r.eclass}`;
      return `${place} ${name}`;
    })
    .sort();
}

/** Elements of `a` missing from `b`, counting duplicates. */
export function multisetMinus(a: string[], b: string[]): string[] {
  const left = [...b];
  const out: string[] = [];
  for (const item of a) {
    const i = left.indexOf(item);
    if (i >= 0) left.splice(i, 1);
    else out.push(item);
  }
  return out.sort();
}

const IDENTITY = {
  GIT_AUTHOR_NAME: 'refci test',
  GIT_AUTHOR_EMAIL: 'test@example.org',
  GIT_COMMITTER_NAME: 'refci test',
  GIT_COMMITTER_EMAIL: 'test@example.org',
};

const worktreeQueues = new Map<string, Promise<unknown>>();

/**
 * A detached worktree of `repo` at `commit` in `dir`. Additions to one
 * repository run one at a time: concurrent `git worktree add` can read a
 * sibling's half-written administrative folder and fail.
 */
export async function addWorktree(repo: string, dir: string, commit: string): Promise<string> {
  const previous = worktreeQueues.get(repo) ?? Promise.resolve();
  const added = previous.catch(() => {}).then(() => git(['worktree', 'add', '--quiet', '--detach', dir, commit], { cwd: repo }));
  worktreeQueues.set(repo, added);
  await added;
  return dir;
}

/** Merges `head` into the worktree's HEAD; the merge commit, or undefined on a conflict (merge aborted). */
export async function mergeInto(worktree: string, head: string): Promise<string | undefined> {
  const merged = await git(['-c', 'commit.gpgsign=false', 'merge', '--no-ff', '--no-edit', '--quiet', head], {
    cwd: worktree,
    env: IDENTITY,
    allowFailure: true,
  });
  if (merged.exitCode !== 0) {
    await git(['merge', '--abort'], { cwd: worktree, allowFailure: true });
    return undefined;
  }
  return (await git(['rev-parse', 'HEAD'], { cwd: worktree })).stdout.trim();
}

export async function commitAll(worktree: string, message: string): Promise<string> {
  await git(['add', '--all'], { cwd: worktree });
  await git(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '-m', message], { cwd: worktree, env: IDENTITY });
  return (await git(['rev-parse', 'HEAD'], { cwd: worktree })).stdout.trim();
}

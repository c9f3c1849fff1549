import { RefciError } from '../errors.ts';
import { git } from './runner.ts';

/**
 * `git diff --name-status -z --no-renames from to`: the raw NUL-separated
 * answer (parsed by the pure scope code). `--no-renames` makes a rename a
 * deletion plus an addition whatever the user's `diff.renames`; `-z` gives raw
 * paths, never quoted.
 */
export async function diffNameStatus(repo: string, from: string, to: string): Promise<string> {
  const out = await git(['-c', 'core.quotePath=false', 'diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', '--end-of-options', from, to, '--'], {
    cwd: repo,
  });
  return out.stdout;
}

/** One line of `git diff --raw`: the modes on both sides say a symlink (120000) or submodule (160000) from a file. */
export interface RawChange {
  status: 'A' | 'M' | 'D' | 'T';
  /** `000000` for an added path. */
  oldMode: string;
  /** `000000` for a deleted path. */
  newMode: string;
  path: string;
}

/**
 * `git diff --raw -z --no-renames --no-abbrev from to`: every path whose blob
 * or mode differs between the two commits, with both modes. Two commits'
 * trees are compared subtree by subtree, so an unchanged folder costs one
 * object id comparison whatever it holds. `--no-renames` as above; any other
 * status is refused (it cannot occur between two commits).
 */
export async function diffRaw(repo: string, from: string, to: string): Promise<RawChange[]> {
  const out = await git(['-c', 'core.quotePath=false', 'diff', '--raw', '-z', '--no-renames', '--no-abbrev', '--no-ext-diff', '--end-of-options', from, to, '--'], {
    cwd: repo,
  });
  return parseRawDiffZ(out.stdout);
}

/** Parses `git diff --raw -z` output: `:oldmode newmode oldoid newoid STATUS NUL path NUL` per path. */
export function parseRawDiffZ(output: string): RawChange[] {
  const fields = output.split('\0');
  if (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  const out: RawChange[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const head = /^:(\d{6}) (\d{6}) [0-9a-f]+ [0-9a-f]+ ([AMDT])$/.exec(fields[i]);
    const file = fields[i + 1];
    if (!head || file === undefined) {
      throw new RefciError('git', `git diff --raw -z output has an entry refci does not expect: ${JSON.stringify(fields[i].slice(0, 80))}`);
    }
    out.push({ status: head[3] as RawChange['status'], oldMode: head[1], newMode: head[2], path: file });
  }
  return out;
}

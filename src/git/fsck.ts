import { git } from './runner.ts';

export interface FsckReport {
  /** Objects no ref reaches (reflogs not counted), by type. */
  unreachable: { type: string; oid: string }[];
  /** Every line of fsck that reports a problem (missing or broken objects, bad links), and its exit code when not 0. */
  problems: string[];
}

/**
 * `git fsck --unreachable --no-reflogs` over a repository: its problems, and
 * the objects no ref reaches. An unreachable object is no problem in itself
 * (a push that lost a race leaves one); a reader may want to know what they are.
 */
export async function fsck(gitdir: string): Promise<FsckReport> {
  const out = await git(['fsck', '--unreachable', '--no-reflogs', '--no-progress'], { cwd: gitdir, allowFailure: true });
  const unreachable: FsckReport['unreachable'] = [];
  const problems: string[] = [];
  for (const line of `${out.stdout}\n${out.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const match = /^(?:unreachable|dangling) (commit|tree|blob|tag) ([0-9a-f]{40,64})$/.exec(line);
    if (match) unreachable.push({ type: match[1]!, oid: match[2]! });
    // Notices (an empty repository has no default references) are no problem.
    else if (!/^notice: /.test(line) && !/^Checking /.test(line)) problems.push(line);
  }
  if (out.exitCode !== 0) problems.push(`git fsck exited with ${out.exitCode}`);
  return { unreachable, problems };
}

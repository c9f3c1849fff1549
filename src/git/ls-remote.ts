import { RefciError } from '../errors.ts';
import { scrubSecrets } from '../protocol/scrub.ts';
import { failureDetail, git } from './runner.ts';

export interface RemoteRefs {
  /** Tips by ref name; an annotated tag's peeled commit is under `<ref>^{}`. */
  tips: Map<string, string>;
  /** Symbolic refs (`HEAD` -> `refs/heads/master`), when asked for. */
  symrefs: Map<string, string>;
}

/**
 * The remote's refs matching `patterns`, by one protocol v2 ls-refs (the server
 * sends only matching refs). Throws a `git` error naming the remote when it
 * cannot be listed.
 */
export async function lsRemote(remote: string, patterns: string[], options: { cwd?: string; symref?: boolean; signal?: AbortSignal } = {}): Promise<RemoteRefs> {
  const args = ['-c', 'protocol.version=2', 'ls-remote'];
  if (options.symref) args.push('--symref');
  args.push('--', remote, ...patterns);
  const out = await git(args, { cwd: options.cwd, allowFailure: true, signal: options.signal });
  if (out.exitCode !== 0) {
    const why = failureDetail(out.stderr) || `exit code ${out.exitCode}`;
    // A password in the URL stays out of the line (logs, cron mail).
    throw new RefciError('git', `cannot list refs of ${scrubSecrets(remote)}: ${why}`, 'check the URL and that this host can read it (refci doctor checks it)');
  }
  return parseLsRemote(out.stdout);
}

export function parseLsRemote(stdout: string): RemoteRefs {
  const tips = new Map<string, string>();
  const symrefs = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const symref = /^ref: (\S+)\t(\S+)$/.exec(line);
    if (symref) {
      symrefs.set(symref[2], symref[1]);
      continue;
    }
    const tab = line.indexOf('\t');
    if (tab > 0) tips.set(line.slice(tab + 1), line.slice(0, tab));
  }
  return { tips, symrefs };
}

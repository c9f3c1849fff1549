/**
 * Discovery without any forge API (`refci enqueue --pull-refs <git-url>`): the pull requests are
 * the `refs/pull/<n>/head` refs that GitHub, Forgejo and others publish. What changed since the
 * last run (a new number, or a new head for a number) becomes a job; the older job of that pull
 * request is superseded through the job key. The refs seen are kept in the host's state dir.
 */
import { RefciError } from '../errors.ts';
import type { CoordClone } from '../coord/clone.ts';
import { lsRemote } from '../git/ls-remote.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import { newJob } from '../protocol/job.ts';
import { enqueueJobs } from './enqueue.ts';
import type { EnqueuePlan } from './plan.ts';
import { resolveRev } from './resolve-rev.ts';
import { loadStateFile, saveStateFile } from '../coord/state-file.ts';
import { createHash } from 'node:crypto';
import { jobRepoUrls } from './job-repo.ts';

export interface PullRefsOptions {
  url: string;
  clone: CoordClone;
  clock: Clock;
  by: string;
  stateDir: string;
  /** Branch, ref or full commit id the pull requests are checked against; default: the remote's HEAD branch. */
  base?: string;
  pipeline?: string;
  priority?: number;
  maxAttempts?: number;
  timeoutSec?: number;
  /** Record the refs as seen without enqueueing anything (first run on a repository with many old pull requests). */
  baseline?: boolean;
  /** Where the warning about credentials left out of the URL goes (stderr in the CLI). */
  warn?: (line: string) => void;
}

export interface PullRefsOutcome {
  /** Pull requests whose ref is new or moved since the last run. */
  changed: Array<{ pr: number; head: string }>;
  base: { sha: string; ref?: string };
  plan: EnqueuePlan;
}

interface PullRefsState {
  version: 1;
  url: string;
  /** Head seen by pull request number. */
  heads: Record<string, string>;
}

/** `refs/pull/<n>/head` of the remote and its HEAD branch, in one `git ls-remote`. */
export async function listPullRefs(url: string): Promise<{ heads: Map<number, string>; headBranch?: string }> {
  const { tips, symrefs } = await lsRemote(url, ['HEAD', 'refs/pull/*/head'], { symref: true });
  const heads = new Map<number, string>();
  for (const [ref, oid] of tips) {
    const match = /^refs\/pull\/(\d+)\/head$/.exec(ref);
    if (match && Number(match[1]) > 0 && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(oid)) heads.set(Number(match[1]), oid);
  }
  const head = symrefs.get('HEAD');
  const headBranch = head?.startsWith('refs/heads/') ? head : undefined;
  return { heads, headBranch };
}

export async function discoverPullRefs(options: PullRefsOptions): Promise<PullRefsOutcome> {
  // Jobs and the state file get the URL without credentials; git is still given the URL as it came.
  const repo = jobRepoUrls(options.warn ?? (() => {}))(options.url);
  const stateName = `pull-refs-${createHash('sha256').update(repo).digest('hex').slice(0, 12)}.json`;
  const state = loadStateFile<PullRefsState>(options.stateDir, stateName, () => ({ version: 1, url: repo, heads: {} }));
  const { heads, headBranch } = await listPullRefs(options.url);
  let base: { sha: string; ref?: string };
  if (options.base !== undefined) {
    base = await resolveRev(options.url, options.base, '--base');
  } else {
    if (!headBranch) throw new RefciError('usage', `${options.url} names no HEAD branch`, 'give the branch pull requests target with --base');
    base = await resolveRev(options.url, headBranch, '--base');
  }
  const changed = [...heads.entries()]
    .filter(([pr, head]) => state.heads[pr] !== head)
    .sort(([a], [b]) => a - b)
    .map(([pr, head]) => ({ pr, head }));
  const start = options.clock.now();
  const jobs = options.baseline
    ? []
    : changed.map(({ pr, head }, index) =>
        newJob({
          repo,
          base: base.sha,
          head,
          baseRef: base.ref,
          headRef: `refs/pull/${pr}/head`,
          pr,
          pipeline: options.pipeline ?? 'gentoo',
          priority: options.priority,
          createdAt: isoOf(start + index),
          maxAttempts: options.maxAttempts,
          timeoutSec: options.timeoutSec,
        }),
      );
  const plan = jobs.length > 0 ? await enqueueJobs({ clone: options.clone, clock: options.clock, by: options.by }, jobs) : { create: [], skipped: [], cancel: [] };
  // Saved only after the push won: a failed run tries the same refs again.
  saveStateFile(options.stateDir, stateName, { version: 1, url: repo, heads: Object.fromEntries([...heads].map(([pr, head]) => [String(pr), head])) });
  return { changed, base, plan };
}

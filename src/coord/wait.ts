import chokidar, { type FSWatcher } from 'chokidar';
import path from 'node:path';
import { localRepository } from './local-repository.ts';

export { localRepository };

export interface SignalOptions {
  /**
   * Ref prefixes (`refs/ci/results/`) whose changes are news to this daemon;
   * every ref when absent. `packed-refs` always is: it may hold any ref.
   */
  wakeOn?: string[];
  /**
   * Whether a change the watcher saw is news to the daemon (a new job it does
   * not know yet, not one it just fetched); every change is when absent.
   * `event` is the watcher's: add, change, unlink, addDir, unlinkDir.
   * `repoDir` is the watched repository's folder.
   */
  news?: (ref: string, event: string, repoDir: string) => boolean;
  /**
   * For a repository elsewhere: one cheap look at it (a fetch of the daemon's
   * refspecs, which transfers nothing when nothing changed) that says whether
   * anything changed. Without it, a wait there is a plain sleep.
   */
  poll?: () => Promise<boolean>;
}

/** Refs a signal ignores at most (see ignore()). */
const IGNORED_MAX = 1000;
/** Changes kept between arm() and the wait (see changedSinceArm()). */
const PENDING_MAX = 1000;

/**
 * Sleeps between a daemon's rounds, and wakes it early when the coordination
 * repository changes. When that repository is on this host (a path or a
 * `file://` URL) a watcher on its refs runs for the daemon's whole life, so a
 * ref that lands while a round is busy still counts: the next wait returns at
 * once instead of sleeping out the backoff. Elsewhere each wait ends with a
 * poll (`options.poll`) and says whether it found a change.
 *
 * Use: `arm()` at the start of each round (what lands after it wakes the next
 * wait), `wait(ms)` after the round, `close()` when the daemon stops.
 */
export class WorkSignal {
  /** Changes since arm(), the last event of each ref: whether they are news is asked when the daemon is about to wait. */
  private readonly pending = new Map<string, string>();
  /** More changes since arm() than are kept: news, whatever they were. */
  private overflow = false;
  private wake?: () => void;
  /** Changes seen so far, by the ref prefix (or `packed-refs`) they fell under. */
  private readonly counts = new Map<string, number>();
  /** Refs whose changes are the daemon's own doing (ignore()), oldest first. */
  private readonly ignored = new Set<string>();

  private constructor(
    private readonly options: SignalOptions,
    private readonly watcher?: FSWatcher,
    private readonly repo = '',
  ) {
    watcher?.on('all', (event, file) => {
      // Of the repository folder's own entries only packed-refs counts (FETCH_HEAD, config and the like are not news).
      const relative = path.relative(repo, file).split(path.sep).join('/');
      if (relative !== 'packed-refs' && !relative.startsWith('refs/')) return;
      // git writes <ref>.lock and renames it: both are the ref's change.
      const ref = relative.replace(/\.lock$/, '');
      if (this.ignored.has(ref)) return;
      // A folder that goes is only the last ref in it gone (git removes empty ones).
      if (event === 'unlinkDir') return;
      // A new folder (refs/ci/drain when the first drain flag lands) counts for every prefix below it: its first ref may come with it.
      const under = relative === 'packed-refs' ? [relative] : (options.wakeOn ?? ['refs/']).filter((prefix) => relative.startsWith(prefix) || prefix.startsWith(`${relative}/`));
      if (under.length === 0) return;
      for (const prefix of under) this.counts.set(prefix, (this.counts.get(prefix) ?? 0) + 1);
      if (this.pending.size >= PENDING_MAX) this.overflow = true;
      else this.pending.set(ref, event);
      if (this.wake && this.isNews(ref, event)) this.wake();
    });
    // A watcher that fails (the folder went away) leaves the daemon to its polls.
    watcher?.on('error', () => undefined);
  }

  /**
   * Starts watching when `coord` is a repository on this host: `refs/` and
   * every folder below it (loose refs), and the repository folder's own
   * entries (`packed-refs` is replaced there by rename). Watching existing
   * folders only: chokidar missed most new loose refs when also given a path
   * that did not exist yet. Resolves once the watcher is ready.
   */
  static async open(coord: string, options: SignalOptions = {}): Promise<WorkSignal> {
    const dir = localRepository(coord);
    if (!dir) return new WorkSignal(options);
    const watcher = chokidar.watch([path.join(dir, 'refs'), dir], { ignoreInitial: true, atomic: false, depth: 20, ignored: (file) => isObjectStore(dir, file) });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return new WorkSignal(options, watcher, dir);
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /**
   * Changes of these refs are no news from now on: the daemon makes them
   * itself (a worker's own claims and results), or they follow from its own
   * (the archive of its job). Only the last thousand refs are kept.
   */
  ignore(refs: string[]): void {
    for (const ref of refs) {
      this.ignored.delete(ref);
      this.ignored.add(ref);
    }
    for (const ref of this.ignored) {
      if (this.ignored.size <= IGNORED_MAX) break;
      this.ignored.delete(ref);
    }
  }

  /** News again (a claim that was not won: whoever won may give the job back). */
  unignore(refs: string[]): void {
    for (const ref of refs) this.ignored.delete(ref);
  }

  /** Forgets changes seen so far: the round about to start reads them. */
  arm(): void {
    this.pending.clear();
    this.overflow = false;
  }

  private isNews(ref: string, event: string): boolean {
    return ref === 'packed-refs' || !this.options.news || this.options.news(ref, event, this.repo);
  }

  /** Whether a change since arm() is news, asked now: what the daemon knows now decides (a job it fetched meanwhile is none). */
  private changedSinceArm(): boolean {
    if (this.overflow) return true;
    for (const [ref, event] of this.pending) if (this.isNews(ref, event)) return true;
    return false;
  }

  /**
   * How many changes were seen under these prefixes (among those the signal
   * wakes on) and of packed-refs: a daemon that remembers the number can
   * tell later whether anything changed there. Undefined when nothing is
   * watched (a remote repository): then nobody can tell.
   */
  changesUnder(prefixes: string[]): number | undefined {
    if (!this.watcher) return undefined;
    let sum = this.counts.get('packed-refs') ?? 0;
    for (const [under, count] of this.counts) if (prefixes.some((prefix) => under.startsWith(prefix) || prefix.startsWith(under))) sum += count;
    return sum;
  }

  /**
   * Sleeps `ms`, or less when the repository changed since `arm()` or `stop`
   * fires. True when it ended on a change: seen by the watcher, or found by
   * the poll a remote repository gets at the end of the sleep.
   */
  async wait(ms: number, stop?: AbortSignal): Promise<boolean> {
    // A stop or a change that came before this call fires no event: without these checks the wait would run its full length.
    if (stop?.aborted) return false;
    if (this.changedSinceArm()) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop?.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      stop?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
    if (this.changedSinceArm()) return true;
    if (this.watcher || !this.options.poll || stop?.aborted) return false;
    // A poll that fails (the server is away) is no change: the daemon's next round says what is wrong.
    return this.options.poll().catch(() => false);
  }

  /** Closed before a daemon returns: a watcher still open keeps its event loop alive. */
  async close(): Promise<void> {
    await this.watcher?.close();
  }
}

/** One wait without a daemon around it: a plain sleep, woken by changes of a local repository. */
export async function waitForWork(coord: string, ms: number, stop?: AbortSignal): Promise<void> {
  if (stop?.aborted) return;
  const signal = await WorkSignal.open(coord);
  try {
    await signal.wait(ms, stop);
  } finally {
    await signal.close();
  }
}

/** Objects, logs and hooks of the repository: never watched (a push writes many objects; only refs are news). */
function isObjectStore(repo: string, file: string): boolean {
  const relative = path.relative(repo, file);
  const top = relative.split(path.sep)[0];
  return top === 'objects' || top === 'logs' || top === 'hooks' || top === 'info' || top === 'worktrees';
}

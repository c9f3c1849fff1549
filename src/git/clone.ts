import fs from 'node:fs';
import path from 'node:path';
import { git } from './run.ts';
import { pushWithLease, type PushResult, type RefUpdate } from './push.ts';

/**
 * A host's private bare clone of the coordination repository. It mirrors only
 * the refs a role needs (narrow refspecs, protocol v2 so the server sends only
 * matching refs) and is where records are written before they are pushed.
 */
export class CoordClone {
  readonly gitdir: string;
  readonly remote: string;

  private constructor(gitdir: string, remote: string) {
    this.gitdir = gitdir;
    this.remote = remote;
  }

  static async open(gitdir: string, remote: string): Promise<CoordClone> {
    if (!fs.existsSync(path.join(gitdir, 'HEAD'))) {
      fs.mkdirSync(gitdir, { recursive: true });
      await git(['init', '--quiet', '--bare', gitdir]);
      // Records are tiny and written often; an automatic gc in the middle of a claim only adds latency.
      await git(['config', 'gc.auto', '0'], { cwd: gitdir });
      await git(['config', 'core.logAllRefUpdates', 'false'], { cwd: gitdir });
    }
    return new CoordClone(gitdir, resolveRemote(remote));
  }

  /** Mirrors the remote refs matched by the refspecs; refs gone on the remote are pruned here. */
  async fetch(refspecs: string[]): Promise<void> {
    await git(['-c', 'protocol.version=2', 'fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', this.remote, ...refspecs], {
      cwd: this.gitdir,
    });
  }

  async refs(prefix: string): Promise<Map<string, string>> {
    const out = await git(['for-each-ref', '--format=%(objectname) %(refname)', prefix], { cwd: this.gitdir });
    const refs = new Map<string, string>();
    for (const line of out.stdout.split('\n')) {
      const space = line.indexOf(' ');
      if (space > 0) refs.set(line.slice(space + 1), line.slice(0, space));
    }
    return refs;
  }

  async ref(name: string): Promise<string | undefined> {
    const out = await git(['rev-parse', '--verify', '--quiet', `${name}^{commit}`], { cwd: this.gitdir, allowFailure: true });
    return out.exitCode === 0 ? out.stdout.trim() : undefined;
  }

  /**
   * Pushes with a lease on every ref; on a win, moves the local refs the same
   * way unless `mirror` is false (a worker reads nothing locally before its
   * next fetch, which mirrors the remote anyway).
   */
  async push(updates: RefUpdate[], options: { mirror?: boolean } = {}): Promise<PushResult> {
    const result = await pushWithLease(this.gitdir, this.remote, updates);
    if (result.won && options.mirror !== false) await this.applyLocally(updates);
    return result;
  }

  private async applyLocally(updates: RefUpdate[]): Promise<void> {
    const input = updates.map((u) => (u.newOid === null ? `delete ${u.ref}\n` : `update ${u.ref} ${u.newOid}\n`)).join('');
    await git(['update-ref', '--stdin'], { cwd: this.gitdir, input });
  }
}

/** Paths are made absolute so that git run inside the clone still finds a relative coordination repository. */
export function resolveRemote(remote: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/]+@[^/]+:/.test(remote)) return remote;
  return path.resolve(remote);
}

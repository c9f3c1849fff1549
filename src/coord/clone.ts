import fs from 'node:fs';
import path from 'node:path';
import { readFile } from '../git/cat-file.ts';
import { fetchRefs } from '../git/fetch.ts';
import { initBare } from '../git/init.ts';
import { lsRemote } from '../git/ls-remote.ts';
import { pushWithLease, type PushResult, type RefUpdate } from '../git/push.ts';
import { forEachRef, forEachRefTyped, resolveCommit, updateRefs } from '../git/refs.ts';

/**
 * A host's private bare clone of the coordination repository. It mirrors only
 * the refs a role needs (narrow refspecs, protocol v2 so the server sends only
 * matching refs) and is where records are written before they are pushed.
 */
export class CoordClone {
  private constructor(
    readonly gitdir: string,
    readonly remote: string,
  ) {}

  static async open(gitdir: string, remote: string): Promise<CoordClone> {
    if (!fs.existsSync(path.join(gitdir, 'HEAD'))) {
      fs.mkdirSync(gitdir, { recursive: true });
      // Records are tiny and written often; an automatic gc in the middle of a claim only adds latency.
      await initBare(gitdir, { 'gc.auto': '0', 'core.logAllRefUpdates': 'false' });
    }
    return new CoordClone(gitdir, resolveRemote(remote));
  }

  /** Mirrors the remote refs matched by the refspecs; refs gone on the remote are pruned here. */
  async fetch(refspecs: string[]): Promise<void> {
    await fetchRefs(this.gitdir, this.remote, refspecs, { prune: true });
  }

  refs(prefix: string): Promise<Map<string, string>> {
    return forEachRef(this.gitdir, prefix);
  }

  /** Refs under `prefix` with the type of object each points at: a hand-pushed ref may point at a blob or a tree. */
  typedRefs(prefix: string): Promise<Map<string, { oid: string; type: string }>> {
    return forEachRefTyped(this.gitdir, prefix);
  }

  ref(name: string): Promise<string | undefined> {
    return resolveCommit(this.gitdir, name);
  }

  /** One file of a commit in the clone (a result's artifact), or undefined when missing or over `maxBytes`. */
  readFile(oid: string, file: string, maxBytes: number): Promise<Buffer | undefined> {
    return readFile(this.gitdir, oid, file, maxBytes);
  }

  /** The remote's current tips of a few refs, without fetching them (absent refs are absent from the map). */
  async remoteTips(refs: string[]): Promise<Map<string, string>> {
    const { tips } = await lsRemote(this.remote, refs, { cwd: this.gitdir });
    return new Map([...tips].filter(([ref]) => refs.includes(ref)));
  }

  /**
   * Pushes with a lease on every ref; on a win, moves the local refs the same
   * way unless `mirror` is false (a worker reads nothing locally before its
   * next fetch, which mirrors the remote anyway).
   */
  async push(updates: RefUpdate[], options: { mirror?: boolean } = {}): Promise<PushResult> {
    const result = await pushWithLease(this.gitdir, this.remote, updates);
    if (result.won && options.mirror !== false) await updateRefs(this.gitdir, updates);
    return result;
  }
}

/** Paths are made absolute so that git run inside the clone still finds a relative coordination repository. */
export function resolveRemote(remote: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/]+@[^/]+:/.test(remote)) return remote;
  return path.resolve(remote);
}

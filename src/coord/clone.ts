import fs from 'node:fs';
import path from 'node:path';
import { readFile } from '../git/cat-file.ts';
import { createPrivateBare } from '../git/init.ts';
import type { PushResult, RefUpdate } from '../git/push.ts';
import { localRepository } from './local-repository.ts';
import { remoteFor, type CoordRemote } from './remote.ts';
import { forEachRefTyped, looseRefCount, packRefs, resolveCommit, updateRefs } from '../git/refs.ts';

/** Loose refs in a clone beyond which they are packed: a fetch of a busy queue writes one file per job, lock and result. */
const LOOSE_REFS_TO_PACK = 256;

type Tips = Map<string, { oid: string; type: string }>;

/**
 * A host's private bare clone of the coordination repository. It mirrors only
 * the refs a role needs (narrow refspecs, protocol v2 so the server sends only
 * matching refs) and is where records are written before they are pushed.
 */
export class CoordClone {
  /**
   * Every local ref and its tip, read with one `for-each-ref` and kept until
   * the refs change (a fetch that brought something, a mirrored push): a round
   * asks for the configuration, the drain flag, the history and the live refs,
   * and would otherwise start a process for each.
   */
  private tips?: Promise<Tips>;

  private constructor(
    readonly gitdir: string,
    private readonly transport: CoordRemote,
  ) {}

  /** The coordination repository's URL (a path made absolute). */
  get remote(): string {
    return this.transport.url;
  }

  static async open(gitdir: string, remote: string): Promise<CoordClone> {
    if (!fs.existsSync(path.join(gitdir, 'HEAD'))) {
      // Records are tiny and written often; an automatic gc in the middle of a claim only adds latency.
      createPrivateBare(gitdir, { 'gc.auto': '0', 'core.logAllRefUpdates': 'false' });
    }
    return new CoordClone(gitdir, remoteFor(remote));
  }

  /**
   * Mirrors the remote refs matched by the refspecs; refs gone on the remote
   * are pruned here. Says whether any local ref changed. Loose refs are packed
   * once they grow past a few hundred.
   */
  async fetch(refspecs: string[]): Promise<boolean> {
    let changed = true;
    try {
      changed = await this.transport.fetch(this.gitdir, refspecs);
    } finally {
      if (changed) this.tips = undefined;
    }
    if (changed && looseRefCount(this.gitdir) > LOOSE_REFS_TO_PACK) await packRefs(this.gitdir);
    return changed;
  }

  /** Every local ref, from the cache or one `for-each-ref`. */
  private allTips(): Promise<Tips> {
    if (!this.tips) this.keepTips(forEachRefTyped(this.gitdir, 'refs/'));
    return this.tips!;
  }

  /** Caches tips being read; a failed read is not kept: the next call reads again. */
  private keepTips(reading: Promise<Tips>): void {
    this.tips = reading;
    reading.catch(() => {
      if (this.tips === reading) this.tips = undefined;
    });
  }

  async refs(prefix: string): Promise<Map<string, string>> {
    return new Map([...(await this.typedRefs(prefix))].map(([ref, { oid }]) => [ref, oid]));
  }

  /**
   * Refs under `prefix` with the type of object each points at: a hand-pushed
   * ref may point at a blob or a tree. A plain prefix (`refs/ci/`) is served
   * from the cache; a pattern (`refs/ci/* /<id>`) asks git.
   */
  async typedRefs(prefix: string): Promise<Tips> {
    if (!prefix.startsWith('refs/') || /[*?[\\]/.test(prefix)) return forEachRefTyped(this.gitdir, prefix);
    const tips = await this.allTips();
    return new Map([...tips].filter(([ref]) => ref.startsWith(prefix)));
  }

  /** The commit a ref names (peeled), or undefined when there is none. */
  async ref(name: string): Promise<string | undefined> {
    if (!name.startsWith('refs/')) return resolveCommit(this.gitdir, name);
    const tip = (await this.allTips()).get(name);
    if (!tip) return undefined;
    // A tag (pushed by hand) is peeled by git; a blob or tree names no commit.
    return tip.type === 'commit' ? tip.oid : resolveCommit(this.gitdir, name);
  }

  /** One file of a commit in the clone (a result's artifact), or undefined when missing or over `maxBytes`. */
  readFile(oid: string, file: string, maxBytes: number): Promise<Buffer | undefined> {
    return readFile(this.gitdir, oid, file, maxBytes);
  }

  /** The remote's current tips of a few refs, without fetching them (absent refs are absent from the map). */
  async remoteTips(refs: string[]): Promise<Map<string, string>> {
    return this.transport.tips(this.gitdir, refs);
  }

  /**
   * Pushes with a lease on every ref; on a win, moves the local refs the same
   * way unless `mirror` is false (a worker reads nothing locally before its
   * next fetch, which mirrors the remote anyway).
   */
  async push(updates: RefUpdate[], options: { mirror?: boolean } = {}): Promise<PushResult> {
    const result = await this.transport.push(this.gitdir, updates);
    // Refs the push only checked (up to date under their lease) are not written.
    const moved = updates.filter((update) => result.refs.get(update.ref)?.outcome !== 'up-to-date');
    if (result.won && options.mirror !== false && moved.length > 0) {
      const before = this.tips;
      this.tips = undefined;
      let written = false;
      try {
        await updateRefs(this.gitdir, moved);
        written = true;
      } finally {
        // The tips read before the push, moved as the push moved them, when nothing else read or
        // changed the refs meanwhile (a read that started while the refs were being written may
        // hold the old ones): the next round's reads need no for-each-ref.
        if (written && before && this.tips === undefined) this.keepTips(before.then((tips) => movedTips(tips, moved)));
        else this.tips = undefined;
      }
    }
    return result;
  }
}

/** `tips` with the pushed updates applied; what refci pushes is always a commit (a record). */
function movedTips(tips: Tips, updates: RefUpdate[]): Tips {
  const next = new Map(tips);
  for (const { ref, newOid } of updates) {
    if (newOid === null) next.delete(ref);
    else next.set(ref, { oid: newOid, type: 'commit' });
  }
  return next;
}

/**
 * Packs the refs of a coordination repository on this host once its loose
 * refs under refs/ci/ pass the limit: every push downloads the list of refs,
 * and the server reads one file per loose ref to make it. A repository
 * elsewhere is left to its own host (docs/deploy.md). True when it packed.
 */
export async function packCoordinationRefs(coord: string): Promise<boolean> {
  const dir = localRepository(coord);
  if (!dir || looseRefCount(dir, 'ci') <= LOOSE_REFS_TO_PACK) return false;
  await packRefs(dir);
  return true;
}

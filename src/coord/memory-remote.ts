import { RefciError } from '../errors.ts';
import { commitLinks, treeEntries } from '../git/object-format.ts';
import { hasLooseObject } from '../git/loose.ts';
import { readRawObject, writeRawObject, type ObjectType } from '../git/objects.ts';
import { judgePush, type PushResult, type RefUpdate } from '../git/push.ts';
import { forEachRef, updateRefs } from '../git/refs.ts';
import type { CoordRemote } from './remote.ts';

export const MEMORY_SCHEME = 'memory://';

/** Repositories of this process by URL; a test closes its own. */
const registry = new Map<string, MemoryRemote>();
let made = 0;

/** The memory repository a `memory://` URL names in this process, if any. */
export function memoryRemote(url: string): MemoryRemote | undefined {
  return registry.get(url);
}

interface StoredObject {
  type: ObjectType;
  content: Uint8Array;
}

/**
 * A coordination repository held in this process: refs and objects in maps,
 * reached by the clones of in-process hosts through the URL it is given. It
 * keeps the protocol's contract (compare-and-swap on every ref, several refs
 * all or none, a lost race refused with git's own porcelain words, fetch with
 * refspecs and pruning) without a git process on either side, for the logic
 * tests of the stages: a push or fetch over git costs five to eight
 * processes. It has no reflog and no server-side settings; `declines`
 * stands for a pre-receive hook.
 * test/coord/remote-contract.test.ts holds it and git to the same cases.
 */
export class MemoryRemote implements CoordRemote {
  readonly url: string;
  private readonly refs = new Map<string, string>();
  private readonly objects = new Map<string, StoredObject>();
  /**
   * What a pre-receive hook would do: given the refs a push would change
   * (once its leases held), the words of a refusal (the whole push is
   * declined, as git declines it) or undefined.
   */
  declines?: (refs: string[]) => string | undefined;

  constructor(name = `coord-${++made}`) {
    this.url = `${MEMORY_SCHEME}${name}`;
    if (registry.has(this.url)) throw new Error(`${this.url} exists already`);
    registry.set(this.url, this);
  }

  /** A memory repository holding the refs and objects of a repository on disk (a test's prepared template). */
  static async copyOf(gitdir: string): Promise<MemoryRemote> {
    const remote = new MemoryRemote();
    const refs = await forEachRef(gitdir, 'refs/');
    await remote.receive(gitdir, [...refs.values()]);
    for (const [ref, oid] of refs) remote.refs.set(ref, oid);
    return remote;
  }

  /** Removes it from the process: its URL names nothing afterwards. */
  close(): void {
    registry.delete(this.url);
  }

  /** The tip of a ref, or undefined. */
  tip(ref: string): string | undefined {
    return this.refs.get(ref);
  }

  /** Every ref under `prefix` and its tip. */
  refsUnder(prefix: string): Map<string, string> {
    return new Map([...this.refs].filter(([ref]) => ref.startsWith(prefix)));
  }

  /** A commit's parents and message, or undefined when `oid` is no commit here. */
  commit(oid: string): { parents: string[]; message: string } | undefined {
    const stored = this.objects.get(oid);
    if (stored?.type !== 'commit') return undefined;
    const text = Buffer.from(stored.content).toString('utf8');
    return { parents: commitLinks(stored.content)?.parents ?? [], message: text.slice(text.indexOf('\n\n') + 2) };
  }

  /**
   * The commits a ref reaches, newest first (every commit, or only the
   * first-parent line): what `git log --format=%H` lists of a linear history.
   */
  commits(ref: string, options: { firstParent?: boolean } = {}): string[] {
    const commits: string[] = [];
    const seen = new Set<string>();
    const todo = [this.refs.get(ref)].filter((oid): oid is string => oid !== undefined);
    while (todo.length > 0) {
      const oid = todo.shift()!;
      const commit = seen.has(oid) ? undefined : this.commit(oid);
      seen.add(oid);
      if (!commit) continue;
      commits.push(oid);
      todo.push(...(options.firstParent ? commit.parents.slice(0, 1) : commit.parents));
    }
    return commits;
  }

  /** The subject lines of those commits: what `git log --format=%s` shows. */
  subjects(ref: string, options: { firstParent?: boolean } = {}): string[] {
    return this.commits(ref, options).map((oid) => this.commit(oid)!.message.split('\n')[0]!);
  }

  /** A file of the commit a ref or commit id names (`dir/file` paths), or undefined. */
  readFile(rev: string, file: string): string | undefined {
    let oid = this.refs.get(rev) ?? rev;
    const commit = this.objects.get(oid);
    if (commit?.type !== 'commit') return undefined;
    const tree = commitLinks(commit.content)?.tree;
    if (!tree) return undefined;
    oid = tree;
    for (const name of file.split('/')) {
      const tree = this.objects.get(oid);
      if (tree?.type !== 'tree') return undefined;
      const entry = treeEntries(tree.content)?.find((e) => e.name === name);
      if (!entry) return undefined;
      oid = entry.oid;
    }
    const blob = this.objects.get(oid);
    return blob?.type === 'blob' ? Buffer.from(blob.content).toString('utf8') : undefined;
  }

  async fetch(gitdir: string, refspecs: string[]): Promise<boolean> {
    const specs = refspecs.map(parseRefspec);
    const wanted = new Map<string, string>();
    for (const [ref, oid] of this.refs) {
      for (const spec of specs) {
        const local = spec.map(ref);
        if (local !== undefined) wanted.set(local, oid);
      }
    }
    // Like git, a named ref the repository does not have fails the fetch; a pattern may match nothing.
    const absent = specs.find((spec) => spec.exact && !this.refs.has(spec.source));
    if (absent) throw new RefciError('git', `git fetch ${this.url} failed: fatal: couldn't find remote ref ${absent.source}`, 'check that the repository is reachable and answers (refci doctor checks it)');
    const local = await forEachRef(gitdir, 'refs/');
    // Each local ref moves only from the tip read here, as git's fetch moves it.
    const updates: { ref: string; newOid: string | null; oldOid: string | null }[] = [];
    for (const [ref, oid] of wanted) {
      if (local.get(ref) !== oid) updates.push({ ref, newOid: oid, oldOid: local.get(ref) ?? null });
    }
    for (const [ref, oid] of local) {
      if (!wanted.has(ref) && specs.some((spec) => spec.matchesLocal(ref))) updates.push({ ref, newOid: null, oldOid: oid });
    }
    for (const { newOid } of updates) if (newOid) await this.deliver(gitdir, newOid);
    if (updates.length > 0) await updateRefs(gitdir, updates);
    return updates.length > 0;
  }

  async push(gitdir: string, updates: RefUpdate[]): Promise<PushResult> {
    // The objects come first, as git's pack does; a clone that lacks one fails the push whole.
    try {
      await this.receive(gitdir, updates.flatMap((update) => (update.newOid === null ? [] : [update.newOid])));
    } catch (error) {
      const said = `error: ${(error as Error).message}`;
      return judgePush(updates, { exitCode: 1, stdout: '', stderr: `${said}\nerror: failed to push some refs to '${this.url}'\n` }, () => `git push failed: ${said}`);
    }
    // From here on nothing awaits: the refs are read, judged and changed in one step, so pushes of
    // clones of this process cannot interleave. As in git: "up to date" and the leases are judged
    // first, by the client; the hook sees only a push that passed them, and only its changing refs.
    const judged = updates.map((update) => ({ update, ...this.outcome(update, this.refs.get(update.ref)) }));
    const refused = judged.some(({ flag }) => flag === '!');
    const changing = judged.filter(({ flag }) => flag !== '=');
    const said = refused || changing.length === 0 ? undefined : this.declines?.(changing.map(({ update }) => update.ref));
    const lines = judged.map(({ update, flag, summary }) => {
      // Several refs change all together or not at all (git push --atomic); a ref up to date stays so.
      if (said !== undefined && flag !== '=') [flag, summary] = ['!', '[remote rejected] (pre-receive hook declined)'];
      else if (refused && updates.length > 1 && flag !== '!' && flag !== '=') [flag, summary] = ['!', '[rejected] (atomic push failed)'];
      return `${flag}\t${update.newOid ?? ''}:${update.ref}\t${summary}`;
    });
    const won = !refused && said === undefined;
    if (won) {
      for (const { update } of changing) {
        if (update.newOid === null) this.refs.delete(update.ref);
        else this.refs.set(update.ref, update.newOid);
      }
    }
    const remoteSaid = said === undefined ? '' : `${said.split('\n').map((line) => `remote: ${line}`).join('\n')}\n`;
    const stderr = won ? '' : `${remoteSaid}error: failed to push some refs to '${this.url}'\n`;
    return judgePush(updates, { exitCode: won ? 0 : 1, stdout: `To ${this.url}\n${lines.join('\n')}\nDone\n`, stderr }, () => `push to ${this.url} failed`);
  }

  async tips(_gitdir: string, refs: string[]): Promise<Map<string, string>> {
    return new Map(refs.filter((ref) => this.refs.has(ref)).map((ref) => [ref, this.refs.get(ref)!]));
  }

  /** git's porcelain flag and summary for one update against the remote's current tip. */
  private outcome(update: RefUpdate, current: string | undefined): { flag: string; summary: string } {
    // git checks "up to date" before any lease: an identical commit pushed by a loser is up to date.
    if (update.newOid !== null && current === update.newOid) return { flag: '=', summary: '[up to date]' };
    if (update.expect !== undefined && (update.expect ?? undefined) !== current) return { flag: '!', summary: '[rejected] (stale info)' };
    // git deletes a ref that is not there as "[deleted]" too (the remote only warns).
    if (update.newOid === null) return { flag: '-', summary: '[deleted]' };
    if (current === undefined) return { flag: '*', summary: '[new reference]' };
    if (this.reaches(update.newOid, current)) return { flag: ' ', summary: `${current.slice(0, 7)}..${update.newOid.slice(0, 7)}` };
    // A lease stands for --force: git replaces a ref that is no ancestor only then.
    if (update.expect !== undefined) return { flag: '+', summary: `${current.slice(0, 7)}...${update.newOid.slice(0, 7)} (forced update)` };
    return { flag: '!', summary: '[rejected] (non-fast-forward)' };
  }

  /** Whether `ancestor` is reachable from `oid` through parents (`git merge-base --is-ancestor ancestor oid`). */
  reaches(oid: string, ancestor: string): boolean {
    const seen = new Set<string>();
    const todo = [oid];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (next === ancestor) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(this.commit(next)?.parents ?? []));
    }
    return false;
  }

  /**
   * Copies what the tips reach from the clone, down to what this repository
   * has. The objects are kept only once all of them were read: a push that
   * fails half-way leaves nothing (git's quarantine), so a stored commit
   * always has its tree and parents.
   */
  private async receive(gitdir: string, tips: string[]): Promise<void> {
    const staged = new Map<string, StoredObject>();
    const todo = [...tips];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (this.objects.has(next) || staged.has(next)) continue;
      const object = await readRawObject(gitdir, next);
      staged.set(next, object);
      todo.push(...links(object));
    }
    for (const [oid, object] of staged) this.objects.set(oid, object);
  }

  /**
   * Writes what `oid` reaches into the clone, down to what the clone has,
   * each object after those it names: a fetch cut short leaves no commit
   * without its tree, so what the clone has is whole below it.
   */
  private async deliver(gitdir: string, oid: string): Promise<void> {
    const order: string[] = [];
    const opened = new Set<string>();
    const stack: { oid: string; children: boolean }[] = [{ oid, children: false }];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next.children) {
        order.push(next.oid);
        continue;
      }
      if (opened.has(next.oid) || hasLooseObject(gitdir, next.oid)) continue;
      opened.add(next.oid);
      stack.push({ oid: next.oid, children: true });
      for (const child of links(this.objects.get(next.oid)!)) stack.push({ oid: child, children: false });
    }
    for (const next of order) {
      const object = this.objects.get(next)!;
      await writeRawObject(gitdir, object.type, object.content);
    }
  }
}

/** `+src:dst` with at most one `*` on each side, as git reads it. */
function parseRefspec(spec: string): { source: string; exact: boolean; map: (ref: string) => string | undefined; matchesLocal: (ref: string) => boolean } {
  const [src = '', dst = src] = spec.replace(/^\+/, '').split(':');
  const glob = (pattern: string) => {
    const star = pattern.indexOf('*');
    return star === -1
      ? { match: (ref: string) => (ref === pattern ? '' : undefined), fill: () => pattern }
      : {
          match: (ref: string) => {
            const [prefix, suffix] = [pattern.slice(0, star), pattern.slice(star + 1)];
            return ref.length >= prefix.length + suffix.length && ref.startsWith(prefix) && ref.endsWith(suffix) ? ref.slice(prefix.length, ref.length - suffix.length) : undefined;
          },
          fill: (part: string) => `${pattern.slice(0, star)}${part}${pattern.slice(star + 1)}`,
        };
  };
  const from = glob(src);
  const to = glob(dst);
  return {
    source: src,
    exact: !src.includes('*'),
    map: (ref) => {
      const part = from.match(ref);
      return part === undefined ? undefined : to.fill(part);
    },
    matchesLocal: (ref) => to.match(ref) !== undefined,
  };
}

function links(object: StoredObject): string[] {
  if (object.type === 'commit') {
    const linked = commitLinks(object.content);
    return linked ? [linked.tree, ...linked.parents] : [];
  }
  if (object.type === 'tree') return (treeEntries(object.content) ?? []).filter((entry) => entry.mode !== '160000').map((entry) => entry.oid);
  if (object.type === 'tag') return [/^object ([0-9a-f]{40})/m.exec(Buffer.from(object.content).toString('utf8'))?.[1] ?? ''].filter(Boolean);
  return [];
}

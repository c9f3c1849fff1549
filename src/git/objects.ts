import fs from 'node:fs';
import isogit from 'isomorphic-git';

/**
 * Objects written in the host's private clone, in process with isomorphic-git
 * (no process start on the claim path). Reads of many small files go through
 * `git cat-file --batch` (cat-file.ts). Transport never goes through
 * isomorphic-git: it cannot push with a lease or atomically.
 */

export interface Signature {
  name: string;
  email: string;
  /** Milliseconds since the epoch, from the caller's clock. */
  timeMs: number;
}

export type FileTree = Record<string, string | Uint8Array>;

interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree';
}

export async function writeBlob(gitdir: string, content: string | Uint8Array): Promise<string> {
  const blob = typeof content === 'string' ? Buffer.from(content) : content;
  return isogit.writeBlob({ fs, gitdir, blob });
}

async function writeTreeEntries(gitdir: string, entries: TreeEntry[]): Promise<string> {
  return isogit.writeTree({ fs, gitdir, tree: entries });
}

/** Writes a tree from a flat map of `dir/file` paths. */
export async function writeFileTree(gitdir: string, files: FileTree): Promise<string> {
  const direct: TreeEntry[] = [];
  const nested = new Map<string, FileTree>();
  for (const [path, content] of Object.entries(files)) {
    const slash = path.indexOf('/');
    if (slash === -1) {
      direct.push({ mode: '100644', path, oid: await writeBlob(gitdir, content), type: 'blob' });
    } else {
      const dir = path.slice(0, slash);
      const sub = nested.get(dir) ?? {};
      sub[path.slice(slash + 1)] = content;
      nested.set(dir, sub);
    }
  }
  for (const [dir, sub] of nested) {
    direct.push({ mode: '040000', path: dir, oid: await writeFileTree(gitdir, sub), type: 'tree' });
  }
  return writeTreeEntries(gitdir, direct);
}

/**
 * Returns a tree equal to `baseTree` with the subtree at `path` replaced by
 * `subtree`; only the trees along the path are rewritten, so a history of ten
 * thousand jobs costs the same to extend as an empty one.
 */
export async function replaceSubtree(gitdir: string, baseTree: string | undefined, path: string[], subtree: string): Promise<string> {
  const entries: TreeEntry[] = baseTree ? await readTreeEntries(gitdir, baseTree) : [];
  const [head, ...rest] = path;
  const existing = entries.find((entry) => entry.path === head);
  const child =
    rest.length === 0 ? subtree : await replaceSubtree(gitdir, existing?.type === 'tree' ? existing.oid : undefined, rest, subtree);
  const next = entries.filter((entry) => entry.path !== head);
  next.push({ mode: '040000', path: head, oid: child, type: 'tree' });
  return writeTreeEntries(gitdir, next);
}

export async function readTreeEntries(gitdir: string, treeOid: string): Promise<TreeEntry[]> {
  const { tree } = await isogit.readTree({ fs, gitdir, oid: treeOid });
  return tree.map((entry) => ({ mode: entry.mode, path: entry.path, oid: entry.oid, type: entry.type as 'blob' | 'tree' }));
}

export async function commitTree(gitdir: string, commitOid: string): Promise<string> {
  const { commit } = await isogit.readCommit({ fs, gitdir, oid: commitOid });
  return commit.tree;
}

export async function writeCommit(
  gitdir: string,
  options: { tree: string; parents: string[]; message: string; author: Signature },
): Promise<string> {
  const person = {
    name: options.author.name,
    email: options.author.email,
    timestamp: Math.floor(options.author.timeMs / 1000),
    timezoneOffset: 0,
  };
  return isogit.writeCommit({
    fs,
    gitdir,
    commit: { tree: options.tree, parent: options.parents, message: `${options.message}\n`, author: person, committer: person },
  });
}

/** Writes the files as a tree and commits it: the shape of every record refci stores. */
export async function writeRecordCommit(
  gitdir: string,
  options: { files: FileTree; parents: string[]; message: string; author: Signature },
): Promise<string> {
  const tree = await writeFileTree(gitdir, options.files);
  return writeCommit(gitdir, { tree, parents: options.parents, message: options.message, author: options.author });
}

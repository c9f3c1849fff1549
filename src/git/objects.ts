import fs from 'node:fs';
import { loadLater } from '../host/load-later.ts';

/**
 * Objects written in the host's private clone, in process with isomorphic-git
 * (no process start on the claim path but ssh-keygen, for a worker that
 * signs). Reads of many small files go through `git cat-file --batch`
 * (cat-file.ts). Transport never goes through isomorphic-git: it cannot push
 * with a lease or atomically.
 */

/**
 * isomorphic-git and its zlib port are a third of the bundle: loaded on the
 * first object written or read here, a command that never does (the
 * pre-receive hook, `refci --help`) does not compile them at start.
 */
export const isogit = loadLater('isomorphic-git', async () => (await import('isomorphic-git')).default);

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
  return (await isogit()).writeBlob({ fs, gitdir, blob });
}

async function writeTreeEntries(gitdir: string, entries: TreeEntry[]): Promise<string> {
  return (await isogit()).writeTree({ fs, gitdir, tree: entries });
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
  const { tree } = await (await isogit()).readTree({ fs, gitdir, oid: treeOid });
  return tree.map((entry) => ({ mode: entry.mode, path: entry.path, oid: entry.oid, type: entry.type as 'blob' | 'tree' }));
}

export async function commitTree(gitdir: string, commitOid: string): Promise<string> {
  const { commit } = await (await isogit()).readCommit({ fs, gitdir, oid: commitOid });
  return commit.tree;
}

/**
 * Makes the armored SSH signature of a commit payload (ssh-signature.ts):
 * records a worker writes are signed with its own key.
 */
export type CommitSigner = (payload: string) => Promise<string>;

export async function writeCommit(
  gitdir: string,
  options: { tree: string; parents: string[]; message: string; author: Signature; sign?: CommitSigner },
): Promise<string> {
  const person = {
    name: options.author.name,
    email: options.author.email,
    timestamp: Math.floor(options.author.timeMs / 1000),
    timezoneOffset: 0,
  };
  const message = `${options.message}\n`;
  const sign = options.sign;
  if (sign) {
    // isomorphic-git hands the commit without signature to onSign and stores the answer as the
    // `gpgsig` header, indented as git writes it; `git verify-commit` checks that same payload.
    // The ref is only named so that isomorphic-git does not read HEAD; it is never written.
    // isomorphic-git calls onSign only when signingKey is set: the key itself is the signer's.
    return (await isogit()).commit({
      fs,
      gitdir,
      tree: options.tree,
      parent: options.parents,
      message,
      author: person,
      committer: person,
      ref: 'refs/refci/signed-record',
      noUpdateBranch: true,
      signingKey: 'refci',
      onSign: async ({ payload }) => ({ signature: await sign(payload) }),
    });
  }
  return (await isogit()).writeCommit({
    fs,
    gitdir,
    commit: { tree: options.tree, parent: options.parents, message, author: person, committer: person },
  });
}

/** Writes the files as a tree and commits it: the shape of every record refci stores. */
export async function writeRecordCommit(
  gitdir: string,
  options: { files: FileTree; parents: string[]; message: string; author: Signature; sign?: CommitSigner },
): Promise<string> {
  const tree = await writeFileTree(gitdir, options.files);
  return writeCommit(gitdir, { tree, parents: options.parents, message: options.message, author: options.author, sign: options.sign });
}

/** A commit object's text as stored (headers, a signature if any, the message), for checking its signature. */
export async function readCommitText(gitdir: string, oid: string): Promise<string> {
  const { type, object } = await (await isogit()).readObject({ fs, gitdir, oid, format: 'content' });
  if (type !== 'commit') throw new Error(`${oid} is a ${type}, not a commit`);
  return Buffer.from(object as Uint8Array).toString('utf8');
}

/**
 * A tree equal to `baseTree` with the file `name` at its top set to
 * `content` (the configuration branch's allowed_signers, changed by refci
 * worker add); every other entry is kept as it is.
 */
export async function withTopFile(gitdir: string, baseTree: string, name: string, content: string): Promise<string> {
  const entries = (await readTreeEntries(gitdir, baseTree)).filter((entry) => entry.path !== name);
  entries.push({ mode: '100644', path: name, oid: await writeBlob(gitdir, content), type: 'blob' });
  return writeTreeEntries(gitdir, entries);
}

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

/** One object as stored: its type and content (for copying objects between repositories in process). */
export async function readRawObject(gitdir: string, oid: string): Promise<{ type: ObjectType; content: Uint8Array }> {
  const { type, object } = await (await isogit()).readObject({ fs, gitdir, oid, format: 'content' });
  return { type: type as ObjectType, content: object as Uint8Array };
}

/** Writes an object as a loose one (nothing when it is there already); its id. */
export async function writeRawObject(gitdir: string, type: ObjectType, content: Uint8Array): Promise<string> {
  return (await isogit()).writeObject({ fs, gitdir, type, object: content, format: 'content' });
}

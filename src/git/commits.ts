import { readObjects } from './cat-file.ts';
import { git } from './runner.ts';

/** A commit object's header and message, as a reader of the coordination repository's records needs them. */
export interface CommitObject {
  oid: string;
  parents: string[];
  /** The author's name (without the address). */
  author: string;
  /** Committer time, seconds since the epoch. */
  committedSec: number;
  /** The message's first line. */
  subject: string;
  /** `Key: value` lines of the message's last paragraph, last value per key. */
  trailers: Record<string, string>;
}

/** Commits are small; a larger object is no commit refci wrote and is not loaded. */
const MAX_COMMIT_BYTES = 1024 * 1024;

/** Reads many commits in two git processes (cat-file --batch-check, --batch); oids that are not commits are left out. */
export async function readCommits(gitdir: string, oids: string[]): Promise<Map<string, CommitObject>> {
  const objects = await readObjects(gitdir, oids, MAX_COMMIT_BYTES);
  const commits = new Map<string, CommitObject>();
  for (const oid of oids) {
    const object = objects.get(oid);
    if (object?.type === 'commit' && 'content' in object && object.content) commits.set(oid, parseCommitObject(oid, object.content));
  }
  return commits;
}

/** Parses a commit object as git stores it (headers, a blank line, the message). */
export function parseCommitObject(oid: string, content: Buffer | string): CommitObject {
  const text = content.toString();
  const end = text.indexOf('\n\n');
  const header = end === -1 ? text : text.slice(0, end);
  const message = end === -1 ? '' : text.slice(end + 2);
  const parents: string[] = [];
  let author = '';
  let committedSec = 0;
  for (const line of header.split('\n')) {
    if (line.startsWith('parent ')) parents.push(line.slice('parent '.length).trim());
    const person = /^(author|committer) (.*) <[^>]*> (\d+) [+-]\d{4}$/.exec(line);
    if (person?.[1] === 'author') author = person[2]!;
    if (person?.[1] === 'committer') committedSec = Number(person[3]);
  }
  const paragraphs = message.trimEnd().split(/\n\n+/);
  const trailers: Record<string, string> = {};
  if (paragraphs.length > 1) {
    for (const line of paragraphs.at(-1)!.split('\n')) {
      const match = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
      if (match) trailers[match[1]!] = match[2]!;
    }
  }
  return { oid, parents, author, committedSec, subject: message.split('\n')[0] ?? '', trailers };
}

/** Every commit the revs reach (`firstParent`: only down first parents), newest first. */
export async function revList(gitdir: string, revs: string[], options: { firstParent?: boolean } = {}): Promise<string[]> {
  if (revs.length === 0) return [];
  const args = ['rev-list', ...(options.firstParent ? ['--first-parent'] : []), '--stdin'];
  const out = await git(args, { cwd: gitdir, input: `${revs.join('\n')}\n` });
  return out.stdout.split('\n').filter(Boolean);
}

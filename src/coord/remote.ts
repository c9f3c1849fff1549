import path from 'node:path';
import { RefciError } from '../errors.ts';
import { fetchChanges } from '../git/fetch.ts';
import { lsRemote } from '../git/ls-remote.ts';
import { pushWithLease, type PushResult, type RefUpdate } from '../git/push.ts';
import { MEMORY_SCHEME, memoryRemote } from './memory-remote.ts';

/**
 * The coordination repository as a host's clone reaches it: the three
 * transport operations the protocol needs. Git over its own transports
 * (a path, file://, git://, ssh, http) in production; a repository held in
 * this process (memory-remote.ts) for logic tests, held to the same contract
 * by test/coord/remote-contract.test.ts.
 */
export interface CoordRemote {
  readonly url: string;
  /** Mirrors the remote refs the refspecs match into the clone (pruning those gone); whether a local ref changed. */
  fetch(gitdir: string, refspecs: string[]): Promise<boolean>;
  /** Compare-and-swap of every update's ref, all or none (docs/protocol.md, Claims). */
  push(gitdir: string, updates: RefUpdate[]): Promise<PushResult>;
  /** The remote's tips of these refs (absent refs are absent from the map). */
  tips(gitdir: string, refs: string[]): Promise<Map<string, string>>;
}

/** The remote a coordination URL names. */
export function remoteFor(url: string): CoordRemote {
  if (url.startsWith(MEMORY_SCHEME)) {
    const remote = memoryRemote(url);
    if (!remote) throw new RefciError('invalid-input', `${url} names no coordination repository of this process`, 'memory:// repositories exist only inside the process that made them; give the path or URL of a git repository');
    return remote;
  }
  return gitRemote(resolveRemote(url));
}

function gitRemote(url: string): CoordRemote {
  return {
    url,
    fetch: async (gitdir, refspecs) => (await fetchChanges(gitdir, url, refspecs, { prune: true })).changed,
    push: (gitdir, updates) => pushWithLease(gitdir, url, updates),
    tips: async (gitdir, refs) => {
      const { tips } = await lsRemote(url, refs, { cwd: gitdir });
      return new Map([...tips].filter(([ref]) => refs.includes(ref)));
    },
  };
}

/** Paths are made absolute so that git run inside the clone still finds a relative coordination repository. */
export function resolveRemote(remote: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote) || /^[^/]+@[^/]+:/.test(remote)) return remote;
  return path.resolve(remote);
}

/** Coordination repositories held in the test's process (src/coord/memory-remote.ts). */
import type { ExecutionContext } from 'ava';
import { MemoryRemote } from '../../src/coord/memory-remote.ts';

/** A repository held in process for this test; its memory:// URL names nothing once the test ends. */
export function memoryRepository(t: ExecutionContext): MemoryRemote {
  const repository = new MemoryRemote();
  t.teardown(() => repository.close());
  return repository;
}

/** A repository held in process with the refs and objects of the repository at `gitdir`, for this test. */
export async function memoryCopy(t: ExecutionContext, gitdir: string): Promise<MemoryRemote> {
  const repository = await MemoryRemote.copyOf(gitdir);
  t.teardown(() => repository.close());
  return repository;
}

/** A file of the repository (`<file>` of the commit `rev` names); a test fails on one that is missing. */
export function recordText(repository: MemoryRemote, rev: string, file: string): string {
  const text = repository.readFile(rev, file);
  if (text === undefined) throw new Error(`${rev}:${file} does not exist`);
  return text;
}

/** A record file of the repository, parsed; a test fails on one that is missing. */
export function recordJson(repository: MemoryRemote, rev: string, file: string): any {
  return JSON.parse(recordText(repository, rev, file));
}

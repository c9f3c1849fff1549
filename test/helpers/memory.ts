/** Coordination repositories held in the test's process (src/coord/memory-remote.ts). */
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { CoordClone } from '../../src/coord/clone.ts';
import { createCoordRepository } from '../../src/coord/create-repository.ts';
import { MemoryRemote } from '../../src/coord/memory-remote.ts';
import type { Clock } from '../../src/host/clock.ts';

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

/**
 * A new coordination repository (as `refci init` makes it) held in process,
 * and a host's clone of it in `dir`: what a test that writes records itself
 * starts from.
 */
export async function memoryCoord(t: ExecutionContext, dir: string, clock: Clock): Promise<{ coord: string; clone: CoordClone }> {
  await createCoordRepository(path.join(dir, 'coord.git'), 'test', clock);
  const coord = (await memoryCopy(t, path.join(dir, 'coord.git'))).url;
  return { coord, clone: await CoordClone.open(path.join(dir, 'host.git'), coord) };
}

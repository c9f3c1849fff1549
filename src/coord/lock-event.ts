import fs from 'node:fs';
import path from 'node:path';
import { readLooseFile } from '../git/loose.ts';
import { refOnDisk } from '../git/refs.ts';
import { jobRef } from '../protocol/refs.ts';
import type { LockEvent } from '../protocol/lock.ts';

/**
 * The event of the lock commit a loose lock ref of a repository on this host
 * points at now (`claim`, `heartbeat`, `takeover`, `release`), read in
 * process; `result` when it points at a result commit (no lock.json: the job
 * ended); undefined when it cannot be told here (the ref is packed or gone,
 * the object is not loose, the record does not parse). A watching worker
 * asks it of every lock change to tell a hand-back, which frees the job for
 * the next attempt, from another worker's claims and heartbeats, which free
 * nothing: waking every idle worker for each of those made sixteen idle
 * workers fetch sixteen times per job.
 */
export function lockEventAt(repoDir: string, ref: string): LockEvent | 'result' | undefined {
  let oid: string;
  try {
    oid = fs.readFileSync(path.join(repoDir, ref), 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
  const read = readLooseFile(repoDir, `${oid}:lock.json`, 64 * 1024);
  if (read.kind === 'missing') return 'result';
  if (read.kind !== 'ok') return undefined;
  try {
    const event: unknown = JSON.parse(read.content.toString('utf8')).event;
    return event === 'claim' || event === 'heartbeat' || event === 'takeover' || event === 'release' ? event : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the deletion of job `id`'s lock freed the job: a worker giving its
 * job back on shutdown deletes the lock alone, and the job can be claimed
 * again; an archive deletes the job ref in the same push, which frees
 * nothing (should the watcher ask while the job's ref is still there, the
 * worker only looks once for nothing). Waking every idle worker for each job
 * of an archive batch made each of them fetch.
 */
export function lockDeletionFreesJob(repoDir: string, id: string): boolean {
  return refOnDisk(repoDir, jobRef(id));
}

/**
 * A coordination repository held in process (MemoryRemote: no git process
 * for a push or fetch) and a fake forge side by side, driven through the
 * library (no CLI start-up cost): for tests of what is said to the forge.
 */
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { closeJob, closingResult } from '../../src/coord/close-job.ts';
import { runCollector } from '../../src/collect/collector.ts';
import type { Publisher } from '../../src/collect/publisher.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { discoverFromForge, type ForgeDiscoveryOptions } from '../../src/enqueue/forge-discovery.ts';
import { CoordClone } from '../../src/coord/clone.ts';
import { readSnapshot } from '../../src/coord/snapshot.ts';
import type { MemoryRemote } from '../../src/coord/memory-remote.ts';
import { memoryRepository, recordJson } from './memory.ts';
import type { ResultStatus } from '../../src/protocol/result.ts';
import { liveRefspecs } from '../../src/protocol/refs.ts';
import type { Flavor } from './fake-forge.ts';
import { harness, type Harness } from './fake-forge-client.ts';
import { tempDir } from './temp.ts';
import type { Clock } from '../../src/host/clock.ts';
import type { ForgeOptions } from '../../src/forge/types.ts';

export interface ForgeCoord extends Harness {
  dir: string;
  /** The coordination repository's memory:// URL. */
  coord: string;
  repository: MemoryRemote;
  /** A file of a record (`refs/ci/history`, `history/jobs/…/summary.json`), parsed as JSON. */
  readJson(rev: string, file: string): any;
  /** The fake forge's clock: move it with fake.advance(ms). */
  clock: Clock;
  enqueueDir: string;
  collectDir: string;
  /** One discovery poll. */
  poll(extra?: Partial<ForgeDiscoveryOptions>): ReturnType<typeof discoverFromForge>;
  /** One collector round with these publishers. */
  collect(publishers: Publisher[], log?: string[]): Promise<number>;
  /** Live job ids by state. */
  live(): Promise<Array<{ id: string; pr?: number; head: string; state: string; priority: number; retryOf?: string; cancelReason?: string }>>;
  /** Publishes a result for a live job as a worker would (no lock needed). */
  finish(id: string, status?: ResultStatus, reason?: string): Promise<void>;
}

/** `client` overrides the forge client's options (e.g. a clock of its own in `retry`). */
export async function forgeCoord(t: ExecutionContext, flavor: Flavor = 'github', client: Partial<ForgeOptions> = {}): Promise<ForgeCoord> {
  const h = await harness(flavor, {}, client);
  t.teardown(() => h.fake.close());
  const dir = tempDir(t);
  const repository = memoryRepository(t);
  const coord = repository.url;
  // Host and forge share one clock here; the fake moves it one second per change.
  const clock: Clock = { now: () => h.fake.now };
  const enqueueDir = path.join(dir, 'enqueue-state');
  const collectDir = path.join(dir, 'collect-state');
  const clone = await CoordClone.open(path.join(enqueueDir, 'coord.git'), coord);
  const workerClone = await CoordClone.open(path.join(dir, 'worker', 'coord.git'), coord);
  const config = { ...defaultConfig(), leaseSec: 30 };
  return {
    ...h,
    dir,
    coord,
    repository,
    readJson: (rev, file) => recordJson(repository, rev, file),
    clock,
    enqueueDir,
    collectDir,
    poll: (extra = {}) => discoverFromForge({ forge: h.forge, clone, clock, by: 'main', stateDir: enqueueDir, ...extra }),
    collect: async (publishers, log = []) =>
      (await runCollector({ coord, collectorId: 'main', stateDir: collectDir, config, clock, once: true, log: (line) => log.push(line), publishers })).archived,
    live: async () => {
      await clone.fetch(liveRefspecs({ history: true }));
      const snapshot = await readSnapshot(clone);
      const { stateOf, descriptorOf } = await import('../../src/protocol/snapshot.ts');
      return [...snapshot.values()].map((live) => {
        const job = descriptorOf(live)!;
        const cancel = live.cancel?.record.ok ? live.cancel.record.value.reason : undefined;
        return { id: live.id, pr: job.pr, head: job.head, state: stateOf(live), priority: job.priority, retryOf: job.retryOf, cancelReason: cancel };
      });
    },
    finish: async (id, status = 'success', reason = 'all 1 steps passed') => {
      await workerClone.fetch(liveRefspecs());
      const live = (await readSnapshot(workerClone)).get(id);
      if (!live?.job) throw new Error(`no live job ${id}`);
      const won = await closeJob(workerClone, {
        result: closingResult(id, status, reason, 'w1', 1, clock.now()),
        artifacts: {},
        parent: live.lock?.oid ?? live.job.oid,
        lockTip: live.lock?.oid,
        actor: 'w1',
        clock,
      });
      if (!won) throw new Error(`could not finish ${id}`);
    },
  };
}

import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { sweepLive } from '../coord/sweep.ts';
import { WorkSignal } from '../coord/wait.ts';
import { unreachableRound } from '../coord/round-failure.ts';
import { ConfigSource } from '../coord/config-source.ts';
import { CoordClone } from '../coord/clone.ts';
import { readSnapshot } from '../coord/snapshot.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import type { Summary } from '../protocol/history.ts';
import { liveRefspecs } from '../protocol/refs.ts';
import { descriptorOf, lockOf, resultOf, stateOf, type LiveJob } from '../protocol/snapshot.ts';
import { archiveJob, archiveLeftovers } from '../coord/archive.ts';
import type { PushResult } from '../git/push.ts';
import { archivedIds } from '../coord/history.ts';
import { signatureRefusal } from '../coord/result-signature.ts';
import { refusalReason } from '../protocol/signature-rule.ts';
import type { Publisher } from './publisher.ts';
import { statusDecider, withoutResult, type Decider, type Decision } from './verdict.ts';
import { stepLogs } from './step-logs.ts';

export interface CollectorOptions {
  coord: string;
  collectorId: string;
  stateDir: string;
  /** A local configuration; without one, the configuration branch of the coordination repository. */
  config?: FleetConfig;
  clock: Clock;
  once: boolean;
  log: (line: string) => void;
  /**
   * Where verdicts go: a fixed list, or one made for the configuration in use
   * (forge settings live there), made again only when the configuration changes.
   */
  publishers: Publisher[] | ((config: FleetConfig) => Promise<Publisher[]>);
  /** Deciders by pipeline kind, made for the configuration in use; the pipeline's own status otherwise. */
  deciders?: (config: FleetConfig) => Partial<Record<string, Decider>>;
  stop?: AbortSignal;
  /** A publisher failed for a job (the job stays live and is published again next round). */
  onPublishError?: (error: unknown) => void;
  /** A job no publisher can take now (its forge has no settings here); it stays live. Also logged, once per reason and run. */
  onUnpublishable?: (error: Error) => void;
  pollMs?: { min: number; max: number };
  /** After each round (the status site, --site); a failure is logged and never stops the collector. */
  afterRound?: (clone: CoordClone) => Promise<void>;
  /** The environment ssh-keygen checks signatures with (PATH, TMPDIR); process.env by default. */
  env?: NodeJS.ProcessEnv;
}

const ARTIFACT_LIMIT = 64 * 1024 * 1024;

/**
 * The collector loop: fetch the live refs and the history, decide each
 * finished job's verdict, publish it, then archive the job. Publishing comes
 * before archiving, so a collector that dies in between publishes again on
 * its next run; publishers make that harmless.
 */
export async function runCollector(options: CollectorOptions): Promise<{ archived: number }> {
  const clone = await CoordClone.open(path.join(options.stateDir, 'coord.git'), options.coord);
  const source = new ConfigSource(options.stateDir, options.log, options.config);
  const roundFor = roundMaker(options);
  // Reasons already logged: a forge without settings is said once per run, not per job and round.
  const said = new Set<string>();
  const poll = options.pollMs ?? { min: 1000, max: 30_000 };
  let archived = 0;
  let idleMs = poll.min;
  const work = options.once ? undefined : await WorkSignal.open(options.coord);
  try {
    while (!options.stop?.aborted) {
      work?.arm();
      let done = 0;
      let unreachable: string | undefined;
      try {
        done = await collectOnce(clone, source, roundFor, options, said);
      } catch (error) {
        // Nothing is lost: what this round did not archive stays live for the next one.
        unreachable = work ? unreachableRound(error) : undefined;
        if (!unreachable) throw error;
      }
      archived += done;
      if (!unreachable) await options.afterRound?.(clone).catch((error: unknown) => options.log(`after the round: ${(error as Error).message}`));
      if (!work) break;
      idleMs = done > 0 ? poll.min : Math.min(poll.max, idleMs * 2);
      if (unreachable) options.log(`the coordination repository cannot be reached; trying again in ${Math.ceil(idleMs / 1000)}s: ${unreachable}`);
      await work.wait(idleMs, options.stop);
    }
  } finally {
    await work?.close();
  }
  return { archived };
}

interface CollectRound {
  config: FleetConfig;
  deciders: Partial<Record<string, Decider>>;
  publishers: Publisher[];
}

/**
 * What a round needs from the configuration, made again only when the
 * configuration changed. Publishers that cannot be made for a new
 * configuration (a token file that is not there) leave the previous ones in
 * use, so a running collector goes on; at start there are none to keep.
 */
function roundMaker(options: CollectorOptions): (config: FleetConfig) => Promise<CollectRound> {
  let last: CollectRound | undefined;
  return async (config) => {
    if (last?.config === config) return last;
    let publishers: Publisher[];
    try {
      publishers = typeof options.publishers === 'function' ? await options.publishers(config) : options.publishers;
    } catch (error) {
      if (!last) throw error;
      options.log(`publishing stays as it was: the new configuration's forge settings do not work: ${(error as Error).message}`);
      publishers = last.publishers;
    }
    last = { config, deciders: options.deciders?.(config) ?? {}, publishers };
    return last;
  };
}

async function collectOnce(
  clone: CoordClone,
  source: ConfigSource,
  roundFor: (config: FleetConfig) => Promise<CollectRound>,
  options: CollectorOptions,
  said: Set<string>,
): Promise<number> {
  await clone.fetch(liveRefspecs({ history: true, config: true }));
  const { config } = await source.refresh(clone);
  const round = await roundFor(config);
  let snapshot = await readSnapshot(clone);
  const { closed } = await sweepLive(clone, snapshot, { stateDir: options.stateDir, clock: options.clock, leaseSec: config.leaseSec, queueTimeoutSec: config.queueTimeoutSec, actor: options.collectorId, log: options.log });
  if (closed) snapshot = await readSnapshot(clone);

  let archived = 0;
  const done = [...snapshot.values()].filter((live) => ['finished', 'cancelled', 'orphan'].includes(stateOf(live)));
  const inHistory = await archivedIds(clone, done.map((live) => live.id));
  for (const live of done) {
    // Stopping: the push in flight has finished; the rest waits for the next run.
    if (options.stop?.aborted) break;
    if (inHistory.has(live.id)) {
      // Archived already: its verdict was published and its summary stays; only the stray refs go.
      const cleared = await archiveLeftovers(clone, live, options.collectorId, options.clock);
      options.log(`${live.id}: already archived; ${cleared.won ? 'live refs pushed after its archive cleared' : `its leftover refs stay for the next round: ${notWon(cleared)}`}`);
      if (!cleared.won) await clone.fetch(liveRefspecs({ history: true }));
      continue;
    }
    const blocked = await unpublishable(round.publishers, descriptorOf(live));
    if (blocked) {
      if (!said.has(blocked.message)) options.log(blocked.message);
      said.add(blocked.message);
      options.onUnpublishable?.(blocked);
      continue;
    }
    let refused: string | undefined;
    try {
      refused = await signatureRefusal(clone, live, round.config, options.env ?? process.env);
    } catch (error) {
      // This host cannot check signatures (no ssh-keygen): nothing is decided, the job waits.
      const line = `${live.id}: left live, its signatures cannot be checked on this host: ${(error as Error).message}`;
      if (!said.has(line)) options.log(line);
      said.add(line);
      options.onPublishError?.(error);
      continue;
    }
    // A refused result is never decided nor published: the job is archived as an error naming the signature problem.
    let verdict = refused ? withoutResult(descriptorOf(live), 'error', refusalReason(refused)) : await decide(clone, live, round);
    let summary: Summary;
    try {
      for (const publisher of round.publishers) {
        const note = await publisher.precheck?.(descriptorOf(live), verdict);
        if (note) verdict = { ...verdict, reason: `${verdict.reason} (${note})` };
      }
      summary = summarise(live, verdict, options.clock.now());
      for (const [index, publisher] of round.publishers.entries()) {
        const note = await publisher.publish(descriptorOf(live), summary, verdict);
        if (!note) continue;
        // Given up for good (the forge kept refusing): the archive says why, and so do the
        // publishers already told (publishing twice is harmless).
        verdict = { ...verdict, reason: `${verdict.reason} (${note})` };
        summary = summarise(live, verdict, options.clock.now());
        for (const earlier of round.publishers.slice(0, index)) await earlier.publish(descriptorOf(live), summary, verdict);
      }
    } catch (error) {
      // Not archived: the next round publishes it again.
      options.log(`${live.id}: publishing failed, left for the next round: ${(error as Error).message}`);
      options.onPublishError?.(error);
      continue;
    }
    const pushed = await archiveJob(clone, live, summary, { ...verdict.files, ...verdict.reports }, options.collectorId, options.clock);
    if (pushed.won) {
      archived += 1;
      options.log(`${live.id}: ${verdict.status}: ${verdict.reason}`);
    } else if (pushed.outcome === 'failed' && (await historyHolds(clone, live.id))) {
      // The connection broke after the repository took the archive: done, and said so.
      archived += 1;
      options.log(`${live.id}: ${verdict.status}: ${verdict.reason} (archived; the push's answer was lost: ${pushed.cause})`);
    } else {
      options.log(`${live.id}: not archived, trying again next round: ${notWon(pushed)}`);
      await clone.fetch(liveRefspecs({ history: true }));
    }
  }
  // After the verdicts, which come first in the hour's write budget: "running on <worker>".
  for (const publisher of options.stop?.aborted ? [] : round.publishers) {
    await publisher.observe?.(snapshot).catch((error: unknown) => options.log(`live statuses not published: ${(error as Error).message}`));
  }
  return archived;
}

async function unpublishable(publishers: Publisher[], job: ReturnType<typeof descriptorOf>): Promise<Error | undefined> {
  for (const publisher of publishers) {
    const why = await publisher.unpublishable?.(job);
    if (why) return why;
  }
  return undefined;
}

/** Why an archive push did not win: another writer moved the job's refs, or git's own cause. */
/** After a push whose answer never came: whether the history now holds the job (fetched afresh; false when that fails too). */
async function historyHolds(clone: CoordClone, id: string): Promise<boolean> {
  try {
    await clone.fetch(liveRefspecs({ history: true }));
    return (await archivedIds(clone, [id])).has(id);
  } catch {
    return false;
  }
}

function notWon(pushed: PushResult): string {
  return pushed.outcome === 'refused' ? `another host changed its refs since this round read them (${pushed.cause})` : pushed.cause;
}

async function decide(clone: CoordClone, live: LiveJob, round: CollectRound): Promise<Decision> {
  const job = descriptorOf(live);
  const reportUrl = job ? round.publishers.map((publisher) => publisher.reportLink?.(job)).find(Boolean) : undefined;
  if (!live.job) return withoutResult(job, 'error', 'refs without a job ref (pushed by hand?); archived as they were', reportUrl);
  if (!live.result) {
    const reason = live.cancel?.record.ok ? live.cancel.record.value.reason : 'cancelled';
    return withoutResult(job, 'cancelled', reason, reportUrl);
  }
  const result = resultOf(live);
  if (!result) {
    const why = live.result.record.ok ? '' : live.result.record.reason;
    return withoutResult(job, 'error', `the result cannot be read: ${why}`, reportUrl);
  }
  const kind = job ? round.config.pipelines[job.pipeline]?.kind : undefined;
  const decider = (kind && round.deciders[kind]) || statusDecider;
  const resultOid = live.result.oid;
  const readArtifact = (file: string) => clone.readFile(resultOid, file, ARTIFACT_LIMIT);
  try {
    const decision = await decider({ job, result, readArtifact, reportUrl });
    // Every verdict's steps' logs go beside its report, whatever the decider.
    return { ...decision, files: { ...(await stepLogs(result, readArtifact)), ...decision.files } };
  } catch (error) {
    return withoutResult(job, 'error', `the verdict could not be computed: ${(error as Error).message}`, reportUrl);
  }
}

export function summarise(live: LiveJob, verdict: Decision, nowMs: number): Summary {
  const job = descriptorOf(live);
  const result = resultOf(live);
  const lock = lockOf(live);
  const summary: Summary = {
    version: 1,
    job: live.id,
    verdict: verdict.status,
    reason: verdict.reason.slice(0, 4096),
    pipeline: job?.pipeline,
    repo: job?.repo,
    pr: job?.pr,
    head: job?.head,
    base: job?.base,
    worker: result?.worker ?? lock?.worker,
    attempt: result?.attempt ?? lock?.attempt,
    enqueuedAt: job?.createdAt,
    startedAt: result?.startedAt,
    finishedAt: result?.finishedAt,
    archivedAt: isoOf(nowMs),
    jobCommit: live.job?.oid,
    resultCommit: live.result?.oid,
    cancelCommit: live.cancel?.oid,
    reports: [...Object.keys(verdict.reports), ...Object.keys(verdict.files ?? {})].sort(),
  };
  return Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== undefined)) as Summary;
}

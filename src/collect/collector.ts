import path from 'node:path';
import type { FleetConfig } from '../config/types.ts';
import { sweepLive } from '../coord/sweep.ts';
import { WorkSignal } from '../coord/wait.ts';
import { unreachableRound } from '../coord/round-failure.ts';
import { ConfigSource } from '../coord/config-source.ts';
import { CoordClone, packCoordinationRefs } from '../coord/clone.ts';
import { readSnapshot } from '../coord/snapshot.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import type { Summary } from '../protocol/history.ts';
import { liveRefspecs } from '../protocol/refs.ts';
import { descriptorOf, lockOf, resultOf, stateOf, type LiveJob } from '../protocol/snapshot.ts';
import { ARCHIVE_BATCH, archiveBatch, jobEntry, leftoversEntry, type ArchiveEntry } from '../coord/archive.ts';
import type { PushResult } from '../git/push.ts';
import { archivedIds } from '../coord/history.ts';
import { signatureRefusal } from '../coord/result-signature.ts';
import { refusalReason } from '../protocol/signature-rule.ts';
import type { Publisher } from './publisher.ts';
import { statusDecider, withoutResult, type Decider, type Decision } from './verdict.ts';
import { unjudgedReason } from './unjudged.ts';
import { stepLogs } from './step-logs.ts';
import { inPhase } from '../git/observe.ts';

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

/** Waits between rounds: from `min` after a round that found work, doubling to `max` (also the longest time between sweeps). */
const DEFAULT_POLL_MS = { min: 250, max: 5000 };
/** The shortest time from one round that archived jobs to the next. */
const BUSY_ROUND_MS = 1000;

/** Sleeps `ms`, or until `stop` fires. */
function pause(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop?.addEventListener('abort', done, { once: true });
  });
}

/** The longest wait while jobs are queued or running: their results are due, and a remote repository is only seen by polling. */
const IN_FLIGHT_POLL_MS = 500;

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
  const poll = options.pollMs ?? DEFAULT_POLL_MS;
  let archived = 0;
  let idleMs = poll.min;
  // A poll of a remote repository is a fetch of the collector's refs: the round after it need not fetch again.
  let fetched = false;
  const specs = liveRefspecs({ history: true, config: true });
  const work = options.once
    ? undefined
    : await WorkSignal.open(options.coord, {
        // Results and cancels are what a collector acts on; claims and heartbeats are not news to it.
        wakeOn: ['refs/ci/results/', 'refs/ci/cancel/'],
        poll: async () => (fetched = await clone.fetch(specs)),
      });
  let lastRoundMs = -Infinity;
  let changed = true;
  let inFlight = false;
  try {
    while (!options.stop?.aborted) {
      // Without news, a round comes at the longest wait anyway: leases expire with time alone (the sweep).
      if (changed || options.clock.now() - lastRoundMs >= poll.max) {
        work?.arm();
        lastRoundMs = options.clock.now();
        let done: RoundOutcome = { archived: 0, inFlight };
        let unreachable: string | undefined;
        try {
          done = await inPhase('archive', () => collectOnce(clone, source, roundFor, options, said, fetched), (n) => n.archived);
        } catch (error) {
          // Nothing is lost: what this round did not archive stays live for the next one.
          unreachable = work ? unreachableRound(error) : undefined;
          if (!unreachable) throw error;
          // The next round fetches and comes after the wait, news or not.
          lastRoundMs = -Infinity;
        }
        fetched = false;
        archived += done.archived;
        if (!unreachable) await inPhase('site', async () => options.afterRound?.(clone), () => 0).catch((error: unknown) => options.log(`after the round: ${(error as Error).message}`));
        if (!work) break;
        inFlight = done.inFlight;
        if (unreachable) options.log(`the coordination repository cannot be reached; trying again in ${Math.ceil(Math.min(idleMs, poll.max) / 1000)}s: ${unreachable}`);
        if (done.archived > 0) {
          idleMs = poll.min;
          // While results keep coming, one round a second takes them all in one push: the first after a quiet spell goes at once.
          const rest = lastRoundMs + BUSY_ROUND_MS - options.clock.now();
          if (rest > 0) await pause(rest, options.stop);
        }
      }
      // While jobs are queued or running their results are due: a remote repository is polled often (a local one is watched).
      const cap = inFlight ? Math.min(IN_FLIGHT_POLL_MS, poll.max) : poll.max;
      changed = await work!.wait(Math.min(idleMs, cap), options.stop);
      idleMs = changed ? poll.min : Math.min(cap, idleMs * 2);
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

/** What one round did: jobs archived, and whether live jobs are still under way (results will come). */
interface RoundOutcome {
  archived: number;
  inFlight: boolean;
}

async function collectOnce(
  clone: CoordClone,
  source: ConfigSource,
  roundFor: (config: FleetConfig) => Promise<CollectRound>,
  options: CollectorOptions,
  said: Set<string>,
  fetched: boolean,
): Promise<RoundOutcome> {
  if (!fetched) await clone.fetch(liveRefspecs({ history: true, config: true }));
  const { config } = await source.refresh(clone);
  const round = await roundFor(config);
  let snapshot = await readSnapshot(clone);
  const { closed } = await sweepLive(clone, snapshot, { stateDir: options.stateDir, clock: options.clock, leaseSec: config.leaseSec, queueTimeoutSec: config.queueTimeoutSec, actor: options.collectorId, log: options.log });
  if (closed) snapshot = await readSnapshot(clone);

  let archived = 0;
  const done = [...snapshot.values()].filter((live) => ['finished', 'cancelled', 'orphan'].includes(stateOf(live)));
  const inFlight = [...snapshot.values()].some((live) => ['queued', 'running', 'cancelling'].includes(stateOf(live)));
  const inHistory = await archivedIds(clone, done.map((live) => live.id));
  // Published, waiting for the one push that archives them together.
  let batch: { entry: ArchiveEntry; said: string }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const entries = batch;
    batch = [];
    const outcome = await archiveBatch(clone, entries.map((e) => e.entry), options.collectorId, options.clock);
    const won = new Set(outcome.archived);
    // A push whose answer never came may have landed: the jobs the history holds now are archived (the push was atomic).
    const tried = entries.filter(({ entry }) => !outcome.changed.includes(entry.live.id) && !entry.message.startsWith('leftovers ')).map(({ entry }) => entry.live.id);
    const landed = outcome.last.outcome === 'failed' ? await historyHolds(clone, tried) : new Set<string>();
    for (const { entry, said: line } of entries) {
      const { id } = entry.live;
      if (won.has(id)) {
        if (entry.message.startsWith('leftovers ')) options.log(`${id}: already archived; live refs pushed after its archive cleared`);
        else {
          archived += 1;
          options.log(line);
        }
      } else if (landed.has(id)) {
        archived += 1;
        options.log(`${line} (archived; the push's answer was lost: ${outcome.last.cause})`);
      } else if (outcome.changed.includes(id)) {
        options.log(`${id}: not archived, trying again next round: another host changed its refs since this round read them`);
      } else {
        options.log(`${id}: not archived, trying again next round: ${notWon(outcome.last)}`);
      }
    }
    // Refs moved under this round: the next one starts from what the repository holds now.
    if (won.size < entries.length) await clone.fetch(liveRefspecs({ history: true }));
  };
  for (const live of done) {
    // Stopping: the jobs published so far are archived, the rest waits for the next run.
    if (options.stop?.aborted) break;
    if (inHistory.has(live.id)) {
      // Archived already: its verdict was published and its summary stays; only the stray refs go.
      batch.push({ entry: leftoversEntry(live), said: '' });
      if (batch.length >= ARCHIVE_BATCH) await flush();
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
    batch.push({ entry: jobEntry(clone, live, summary, { ...verdict.files, ...verdict.reports }), said: `${live.id}: ${verdict.status}: ${verdict.reason}` });
    if (batch.length >= ARCHIVE_BATCH) await flush();
  }
  await flush();
  // The collector is the coordination repository's housekeeper when it lives on this host.
  if (archived > 0) await packCoordinationRefs(options.coord).catch((error: unknown) => options.log(`refs of ${options.coord} not packed: ${(error as Error).message}`));
  // After the verdicts, which come first in the hour's write budget: "running on <worker>".
  for (const publisher of options.stop?.aborted ? [] : round.publishers) {
    await publisher.observe?.(snapshot).catch((error: unknown) => options.log(`live statuses not published: ${(error as Error).message}`));
  }
  return { archived, inFlight };
}

async function unpublishable(publishers: Publisher[], job: ReturnType<typeof descriptorOf>): Promise<Error | undefined> {
  for (const publisher of publishers) {
    const why = await publisher.unpublishable?.(job);
    if (why) return why;
  }
  return undefined;
}

/** After a push whose answer never came: which of the jobs the history now holds (fetched afresh; none when that fails too). */
async function historyHolds(clone: CoordClone, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  try {
    await clone.fetch(liveRefspecs({ history: true }));
    return await archivedIds(clone, ids);
  } catch {
    return new Set();
  }
}

/** Why an archive push did not win: another writer moved the job's refs, or git's own cause. */
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
  const unjudged = job ? unjudgedReason(job.pipeline, kind, result) : undefined;
  if (unjudged) return withoutResult(job, 'error', unjudged, reportUrl);
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

import fs from 'node:fs';
import path from 'node:path';
import { readFiles, type ReadOutcome } from '../git/cat-file.ts';
import { readCommits, revList, type CommitObject } from '../git/commits.ts';
import { fsck } from '../git/fsck.ts';
import { forEachRef } from '../git/refs.ts';
import { defaultConfig } from '../config/defaults.ts';
import { RefciError } from '../errors.ts';
import type { AuditCommit, AuditInput, AuditRecord, HistoryEntry } from '../protocol/audit.ts';
import { CANCEL } from '../protocol/cancel.ts';
import { MAX_RECORD_BYTES, type Decoded } from '../protocol/codec.ts';
import { SUMMARY } from '../protocol/history.ts';
import { JOB } from '../protocol/job.ts';
import { LOCK } from '../protocol/lock.ts';
import { decodeAs, type RecordKind } from '../protocol/record-kind.ts';
import { CONFIG_REF, HISTORY_REF, NAMESPACE, parseLiveRef } from '../protocol/refs.ts';
import { RESULT } from '../protocol/result.ts';
import { readConfigCommit } from './config-branch.ts';

/** The record kinds a job's commits hold, by the `Refci-Kind` trailer that names them. */
const KINDS: Record<AuditRecord['kind'], RecordKind<unknown>> = {
  job: JOB as RecordKind<unknown>,
  lock: LOCK as RecordKind<unknown>,
  result: RESULT as RecordKind<unknown>,
  cancel: CANCEL as RecordKind<unknown>,
};

export interface AuditOptions {
  quiescent: boolean;
  skewSec?: number;
}

/**
 * Reads what `refci audit` checks, from a coordination repository on this
 * host (a bare repository's folder; git fsck needs the objects themselves):
 * the history's first-parent chain, the live refs, every commit they reach
 * and every commit no ref reaches, the records those commits hold, what git
 * fsck finds, and the configured lease and queue timeout.
 */
export async function readAuditInput(repo: string, options: AuditOptions): Promise<AuditInput> {
  if (!fs.existsSync(path.join(repo, 'objects')) || !fs.existsSync(path.join(repo, 'refs'))) {
    throw new RefciError('not-found', `${repo} is not a bare git repository`, 'give the folder of the coordination repository on this host (refci init made it)');
  }
  const refs = await forEachRef(repo, `${NAMESPACE}/`);
  const live = new Map([...refs].filter(([ref]) => parseLiveRef(ref)));
  const historyTip = refs.get(HISTORY_REF);
  const checked = await fsck(repo);

  const firstParents = historyTip ? (await revList(repo, [historyTip], { firstParent: true })).reverse() : [];
  const reachable = await revList(repo, [...(historyTip ? [historyTip] : []), ...live.values()]);
  const unreachable = checked.unreachable.filter((object) => object.type === 'commit').map((object) => object.oid);
  const objects = new Map<string, CommitObject>();
  for (const slice of slices([...new Set([...reachable, ...unreachable])])) for (const [oid, commit] of await readCommits(repo, slice)) objects.set(oid, commit);
  const historyOids = new Set(firstParents);
  const records = await readRecordsOf(repo, [...objects.values()].filter((commit) => !historyOids.has(commit.oid)));

  const commits = new Map<string, AuditCommit>();
  for (const commit of objects.values()) {
    const record = records.get(commit.oid);
    commits.set(commit.oid, { oid: commit.oid, parents: commit.parents, committedSec: commit.committedSec, author: commit.author, ...(record ? { record } : {}) });
  }
  const history = firstParents.map((oid) => historyEntry(objects.get(oid))).filter((entry): entry is HistoryEntry => entry !== undefined);
  const config = await configuredLimits(repo, await forEachRef(repo, CONFIG_REF));
  return { history, live, commits, fsck: checked.problems, quiescent: options.quiescent, ...config, ...(options.skewSec === undefined ? {} : { skewSec: options.skewSec }) };
}

/** A history of years holds hundreds of thousands of commits: they are read a slice at a time, so git's output stays small. */
const SLICE = 5000;

function slices<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += SLICE) out.push(items.slice(i, i + SLICE));
  return out;
}

function historyEntry(commit: CommitObject | undefined): HistoryEntry | undefined {
  if (!commit || commit.parents.length === 0) return undefined;
  const tips = commit.parents.slice(1);
  if (commit.trailers['Refci-Kind'] === SUMMARY.name) {
    return { oid: commit.oid, kind: 'archive', job: commit.trailers['Refci-Job'], verdict: commit.trailers['Refci-Verdict'], tips };
  }
  // A leftovers commit carries no trailer (history readers skip it); its subject names the job (archive.ts).
  const leftovers = /^leftovers ([A-Za-z0-9][A-Za-z0-9_-]{0,63}): /.exec(commit.subject);
  if (leftovers) return { oid: commit.oid, kind: 'leftovers', job: leftovers[1], tips };
  return { oid: commit.oid, kind: 'other', tips };
}

/**
 * The record each commit holds. The `Refci-Kind` trailer says which file to
 * read; a commit without one (a job pushed by hand) is tried for each kind.
 */
async function readRecordsOf(repo: string, commits: CommitObject[]): Promise<Map<string, AuditRecord>> {
  const wanted: { oid: string; kind: AuditRecord['kind']; spec: string }[] = [];
  for (const commit of commits) {
    const named = commit.trailers['Refci-Kind'] as AuditRecord['kind'] | undefined;
    const kinds = named && named in KINDS ? [named] : named === undefined ? (Object.keys(KINDS) as AuditRecord['kind'][]) : [];
    for (const kind of kinds) wanted.push({ oid: commit.oid, kind, spec: `${commit.oid}:${KINDS[kind].file}` });
  }
  const files = new Map<string, ReadOutcome>();
  for (const slice of slices(wanted.map((w) => w.spec))) for (const [spec, file] of await readFiles(repo, slice, MAX_RECORD_BYTES)) files.set(spec, file);
  const records = new Map<string, AuditRecord>();
  for (const { oid, kind, spec } of wanted) {
    const file = files.get(spec);
    if (!file || file.kind === 'missing' || records.has(oid)) continue;
    const value: Decoded<unknown> =
      file.kind === 'too-large' ? { ok: false, reason: `${KINDS[kind].file} is ${file.size} bytes, more than the limit of ${MAX_RECORD_BYTES}` } : decodeAs(KINDS[kind], file.content);
    records.set(oid, { kind, value } as AuditRecord);
  }
  return records;
}

/** The lease of an unreadable lock and the queue timeout, from the configuration branch (the defaults when it cannot be read). */
async function configuredLimits(repo: string, configRefs: Map<string, string>): Promise<{ leaseSec: number; queueTimeoutSec: number }> {
  const tip = configRefs.get(CONFIG_REF);
  const check = tip ? await readConfigCommit(repo, tip) : undefined;
  const config = check?.ok ? check.config : defaultConfig();
  return { leaseSec: config.leaseSec, queueTimeoutSec: config.queueTimeoutSec };
}

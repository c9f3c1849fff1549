import { parseCommitHeader, readObjects, type ObjectAccess, type ObjectRead } from '../git/cat-file.ts';
import { listTreeFiles } from '../git/ls-tree.ts';
import { forEachRef } from '../git/refs.ts';
import { defaultConfig } from '../config/defaults.ts';
import { checkConfigText, CONFIG_FILE, describeProblems, referencedFiles } from '../config/schema.ts';
import type { FleetConfig } from '../config/types.ts';
import { allowedPipelines } from '../fleet/rules.ts';
import { authorise, type AuthPolicy, type AuthReader, type ExtraRule, type FileRead, type RefDecision, type RefUpdateLine } from '../protocol/authorisation.ts';
import { ALLOWED_SIGNERS_FILE } from '../protocol/allowed-signers.ts';
import { JOB } from '../protocol/job.ts';
import { LOCK } from '../protocol/lock.ts';
import { PRESENCE } from '../protocol/presence.ts';
import type { Pusher } from '../protocol/pusher.ts';
import { MAX_CONFIG_FILE_BYTES, type TreeFile } from '../protocol/record-limits.ts';
import { CONFIG_REF, jobRef, parseLiveRef } from '../protocol/refs.ts';
import { RESULT } from '../protocol/result.ts';
import { readConfigCommit } from './config-branch.ts';
import { workerSignatureRule } from './hook-signatures.ts';

/** The variables git gives a pre-receive hook to reach the pushed objects, which wait in a quarantine folder until the hook accepts them. */
export const QUARANTINE_VARIABLES = ['GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH'] as const;

export function quarantineAccess(env: Record<string, string | undefined>): ObjectAccess {
  const picked: Record<string, string> = {};
  for (const name of QUARANTINE_VARIABLES) if (env[name]) picked[name] = env[name]!;
  return { env: picked };
}

/** Record files the rules may read of a pushed or current commit. */
const RECORD_FILES = [JOB.file, LOCK.file, RESULT.file, PRESENCE.file];

/**
 * The rules' view of the repository inside its hook: pushed objects through
 * the quarantine, refs as they were before the push. A hook runs on every
 * push, and each git process costs more than the rules themselves, so what
 * the rules will read (the commits of the push, their record files, the job
 * commits they name, the configuration) is read up front in one batch, and
 * anything else on demand.
 */
export class HookReader implements AuthReader {
  private readonly objects = new Map<string, ObjectRead>();
  private readonly listings = new Map<string, Promise<TreeFile[]>>();

  private constructor(
    private readonly gitdir: string,
    private readonly access: ObjectAccess,
    private readonly tips: Map<string, string>,
  ) {}

  static async open(gitdir: string, access: ObjectAccess, updates: readonly RefUpdateLine[]): Promise<HookReader> {
    const reader = new HookReader(gitdir, access, await forEachRef(gitdir, 'refs/'));
    const oids = new Set<string>();
    for (const update of updates) {
      if (update.oldOid) oids.add(update.oldOid);
      if (update.newOid) oids.add(update.newOid);
      const live = parseLiveRef(update.ref);
      const job = live ? reader.tips.get(jobRef(live.id)) : undefined;
      if (job) oids.add(job);
    }
    const config = reader.tips.get(CONFIG_REF);
    const specs = [...oids].flatMap((oid) => [oid, ...RECORD_FILES.map((file) => `${oid}:${file}`)]);
    if (config) specs.push(`${config}:${CONFIG_FILE}`, `${config}:${ALLOWED_SIGNERS_FILE}`);
    await reader.prefetch(specs);
    return reader;
  }

  private async prefetch(specs: string[]): Promise<void> {
    const wanted = specs.filter((spec) => !this.objects.has(spec));
    for (const [spec, read] of await readObjects(this.gitdir, wanted, MAX_CONFIG_FILE_BYTES, this.access)) this.objects.set(spec, read);
  }

  private async object(spec: string): Promise<ObjectRead> {
    if (!this.objects.has(spec)) await this.prefetch([spec]);
    return this.objects.get(spec) ?? { type: 'missing' };
  }

  /** The commit object as git stores it, signature header included; empty when it is not a commit. */
  async commitText(oid: string): Promise<string> {
    const read = await this.object(oid);
    return read.type === 'commit' && 'content' in read && read.content ? read.content.toString('utf8') : '';
  }

  async type(oid: string): Promise<string> {
    return (await this.object(oid)).type;
  }

  async commit(oid: string) {
    const read = await this.object(oid);
    if (read.type !== 'commit' || !('content' in read) || !read.content) return { parents: [], committedSec: 0 };
    return parseCommitHeader(read.content);
  }

  files(oid: string, max: number): Promise<TreeFile[]> {
    let listing = this.listings.get(`${oid} ${max}`);
    if (!listing) {
      listing = listTreeFiles(this.gitdir, oid, max, this.access);
      this.listings.set(`${oid} ${max}`, listing);
    }
    return listing;
  }

  async read(oid: string, path: string, maxBytes: number): Promise<FileRead> {
    const read = await this.object(`${oid}:${path}`);
    if (read.type !== 'blob' || !('size' in read)) return { kind: 'missing' };
    if (read.size > maxBytes || !read.content) return { kind: 'too-large', size: read.size };
    return { kind: 'ok', content: read.content };
  }

  async tip(ref: string): Promise<string | undefined> {
    return this.tips.get(ref);
  }

  async configProblem(oid: string): Promise<string | undefined> {
    const checked = await readConfigCommit(this.gitdir, oid, this.access);
    return checked.ok ? undefined : describeProblems(checked.problems);
  }

  /**
   * The rules' inputs from the configuration the repository holds before the
   * push; the built-in defaults when it has none or a refused one.
   */
  async policy(): Promise<{ policy: AuthPolicy; config: FleetConfig; note?: string }> {
    const tip = this.tips.get(CONFIG_REF);
    let config: FleetConfig = defaultConfig();
    let note: string | undefined;
    if (!tip) note = `the repository has no ${CONFIG_REF}: the built-in defaults apply (every operator is an admin)`;
    else {
      const read = await this.read(tip, CONFIG_FILE, MAX_CONFIG_FILE_BYTES);
      const text = read.kind === 'ok' ? read.content.toString('utf8') : undefined;
      const signers = await this.read(tip, ALLOWED_SIGNERS_FILE, MAX_CONFIG_FILE_BYTES);
      const readFile = (name: string) => (name === ALLOWED_SIGNERS_FILE && signers.kind === 'ok' ? signers.content.toString('utf8') : undefined);
      // Checked as every host checks it; files config.json names (gentoo.classes) are read the usual way.
      const checked = text !== undefined && namesNoFiles(text) ? checkConfigText(text, { file: CONFIG_FILE, mode: 'whole', readFile }) : await readConfigCommit(this.gitdir, tip);
      if (checked.ok) config = checked.config;
      else note = `${CONFIG_REF} at ${tip.slice(0, 12)} is refused (${describeProblems(checked.problems)}): the built-in defaults apply`;
    }
    const { admins, leaseSec, queueTimeoutSec, logCapBytes, artifactCapBytes, liveLogBytes } = config;
    const mayRun = (worker: string, pipeline: string) => allowedPipelines(config, worker).includes(pipeline);
    return { policy: { admins, leaseSec, queueTimeoutSec, logCapBytes, artifactCapBytes, liveLogBytes, mayRun }, config, ...(note ? { note } : {}) };
  }
}

function namesNoFiles(text: string): boolean {
  try {
    return referencedFiles(JSON.parse(text)).length === 0;
  } catch {
    return true;
  }
}

export interface PushCheck {
  gitdir: string;
  pusher: Pusher;
  updates: RefUpdateLine[];
  /** The hook's environment, for the quarantine variables. */
  env: Record<string, string | undefined>;
  nowMs: number;
  extraRules?: readonly ExtraRule[];
}

/** Decides one push as the repository's pre-receive hook does. */
export async function checkPush(check: PushCheck): Promise<{ decisions: RefDecision[]; note?: string }> {
  if (check.updates.length === 0) return { decisions: [] };
  const reader = await HookReader.open(check.gitdir, quarantineAccess(check.env), check.updates);
  const { policy, config, note } = await reader.policy();
  const signatures = workerSignatureRule(config, reader, check.env);
  const rules = [...(check.extraRules ?? []), ...(signatures ? [signatures] : [])];
  const decisions = await authorise({ pusher: check.pusher, updates: check.updates, policy, nowMs: check.nowMs }, reader, rules);
  return { decisions, ...(note ? { note } : {}) };
}

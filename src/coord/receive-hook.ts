import { commitHeader, objectTypes, readFiles, type ObjectAccess } from '../git/cat-file.ts';
import { listTreeFiles } from '../git/ls-tree.ts';
import { forEachRef, resolveCommit } from '../git/refs.ts';
import { defaultConfig } from '../config/defaults.ts';
import { describeProblems } from '../config/schema.ts';
import type { FleetConfig } from '../config/types.ts';
import { authorise, type AuthPolicy, type AuthReader, type ExtraRule, type FileRead, type RefDecision, type RefUpdateLine } from '../protocol/authorisation.ts';
import type { Pusher } from '../protocol/pusher.ts';
import { CONFIG_REF, NAMESPACE } from '../protocol/refs.ts';
import { readConfigCommit } from './config-branch.ts';

/** The variables git gives a pre-receive hook to reach the pushed objects, which wait in a quarantine folder until the hook accepts them. */
export const QUARANTINE_VARIABLES = ['GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH'] as const;

export function quarantineAccess(env: Record<string, string | undefined>): ObjectAccess {
  const picked: Record<string, string> = {};
  for (const name of QUARANTINE_VARIABLES) if (env[name]) picked[name] = env[name]!;
  return { env: picked };
}

/** The rules' inputs from the configuration the repository holds before the push; the built-in defaults when it has none or a refused one. */
export async function hookPolicy(gitdir: string): Promise<{ policy: AuthPolicy; note?: string }> {
  const tip = await resolveCommit(gitdir, CONFIG_REF);
  let config: FleetConfig = defaultConfig();
  let note: string | undefined;
  if (!tip) note = `the repository has no ${CONFIG_REF}: the built-in defaults apply (every operator is an admin)`;
  else {
    const checked = await readConfigCommit(gitdir, tip);
    if (checked.ok) config = checked.config;
    else note = `${CONFIG_REF} at ${tip.slice(0, 12)} is refused (${describeProblems(checked.problems)}): the built-in defaults apply`;
  }
  const { admins, leaseSec, queueTimeoutSec, logCapBytes, artifactCapBytes } = config;
  return { policy: { admins, leaseSec, queueTimeoutSec, logCapBytes, artifactCapBytes }, ...(note ? { note } : {}) };
}

/** The rules' view of the repository inside its hook: pushed objects through the quarantine, refs as they were before the push. */
export function hookReader(gitdir: string, access: ObjectAccess): AuthReader {
  let tips: Promise<Map<string, string>> | undefined;
  return {
    async type(oid) {
      return (await objectTypes(gitdir, [oid], access)).get(oid) ?? 'missing';
    },
    commit: (oid) => commitHeader(gitdir, oid, access),
    files: (oid, max) => listTreeFiles(gitdir, oid, max, access),
    async read(oid, path, maxBytes): Promise<FileRead> {
      const spec = `${oid}:${path}`;
      return (await readFiles(gitdir, [spec], maxBytes, access)).get(spec) ?? { kind: 'missing' };
    },
    async tip(ref) {
      tips ??= forEachRef(gitdir, `${NAMESPACE}/`);
      return (await tips).get(ref);
    },
    async configProblem(oid) {
      const checked = await readConfigCommit(gitdir, oid, access);
      return checked.ok ? undefined : describeProblems(checked.problems);
    },
  };
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
  const { policy, note } = await hookPolicy(check.gitdir);
  const reader = hookReader(check.gitdir, quarantineAccess(check.env));
  const decisions = await authorise({ pusher: check.pusher, updates: check.updates, policy, nowMs: check.nowMs }, reader, check.extraRules);
  return { decisions, ...(note ? { note } : {}) };
}

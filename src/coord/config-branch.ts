import type { CoordClone } from './clone.ts';
import { readFiles, type ObjectAccess } from '../git/cat-file.ts';
import { writeRecordCommit } from '../git/objects.ts';
import { createRef, setSymbolicRef } from '../git/refs.ts';
import type { Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { ALLOWED_SIGNERS_FILE } from '../protocol/allowed-signers.ts';
import { CONFIG_REF } from '../protocol/refs.ts';
import { MAX_CONFIG_FILE_BYTES } from '../protocol/record-limits.ts';
import { pushFailure } from './push-failure.ts';
import { defaultConfig } from '../config/defaults.ts';
import { checkConfigText, CONFIG_FILE, referencedFiles, type ConfigCheck } from '../config/schema.ts';

/**
 * The configuration branch, `refs/heads/config` of the coordination
 * repository: `config.json` at the top of its tree, plus any files it names.
 * A person changes it with ordinary git (clone, edit, commit, push); every
 * change is a commit, so `git log config` is the audit trail.
 */
export const MAX_CONFIG_BYTES = MAX_CONFIG_FILE_BYTES;

export function defaultConfigText(): string {
  return `${JSON.stringify(defaultConfig(), null, 2)}\n`;
}

/**
 * Reads and checks the configuration of one commit of the branch; a bad one is a list of problems, never an exception.
 * `access` reaches a commit still in a push's quarantine (the repository's hook).
 */
export async function readConfigCommit(gitdir: string, commit: string, access: ObjectAccess = {}): Promise<ConfigCheck> {
  const spec = `${commit}:${CONFIG_FILE}`;
  const outcome = (await readFiles(gitdir, [spec], MAX_CONFIG_BYTES, access)).get(spec);
  if (!outcome || outcome.kind === 'missing') {
    return { ok: false, problems: [{ file: CONFIG_FILE, field: '(top level)', reason: `the commit has no ${CONFIG_FILE} at the top of its tree` }] };
  }
  if (outcome.kind === 'too-large') {
    return { ok: false, problems: [{ file: CONFIG_FILE, field: '(top level)', reason: `${outcome.size} bytes, more than the limit of ${MAX_CONFIG_BYTES}` }] };
  }
  const text = outcome.content.toString('utf8');
  let names: string[] = [ALLOWED_SIGNERS_FILE];
  try {
    names = [...referencedFiles(JSON.parse(text)), ALLOWED_SIGNERS_FILE];
  } catch {
    // checkConfigText reports the JSON problem.
  }
  const specs = names.map((name) => `${commit}:${name}`);
  const files = await readFiles(gitdir, specs, MAX_CONFIG_BYTES, access);
  const byName = new Map<string, string>();
  names.forEach((name, index) => {
    const file = files.get(specs[index]);
    if (file?.kind === 'ok') byName.set(name, file.content.toString('utf8'));
  });
  return checkConfigText(text, { file: CONFIG_FILE, mode: 'whole', readFile: (name) => byName.get(name) });
}

/** A root commit holding the working defaults. */
export async function writeDefaultConfigCommit(gitdir: string, by: string, clock: Clock): Promise<string> {
  return writeRecordCommit(gitdir, {
    files: { [CONFIG_FILE]: defaultConfigText() },
    parents: [],
    message: 'config: working defaults written by refci init',
    author: signatureFor('init', by, clock.now()),
  });
}

/**
 * Creates the configuration branch with the defaults in a local bare
 * repository (refci init) and points HEAD at it, so that `git clone` of the
 * coordination repository checks the configuration out.
 */
export async function initConfigBranch(repo: string, by: string, clock: Clock): Promise<string> {
  const oid = await writeDefaultConfigCommit(repo, by, clock);
  await createRef(repo, CONFIG_REF, oid);
  await setSymbolicRef(repo, 'HEAD', CONFIG_REF);
  return oid;
}

/** Pushes the defaults as the configuration branch of a remote coordination repository, only if it has none (undefined: somebody else created it meanwhile). */
export async function pushDefaultConfig(clone: CoordClone, by: string, clock: Clock): Promise<string | undefined> {
  const oid = await writeDefaultConfigCommit(clone.gitdir, by, clock);
  const pushed = await clone.push([{ ref: CONFIG_REF, newOid: oid, expect: null }]);
  if (pushed.outcome === 'failed') throw pushFailure(`the configuration branch`, pushed);
  return pushed.won ? oid : undefined;
}

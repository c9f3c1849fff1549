import { RefciError } from '../errors.ts';
import { commitTree, withTopFile, writeCommit } from '../git/objects.ts';
import type { Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { ALLOWED_SIGNERS_FILE, parseAllowedSigners, withSigner } from '../protocol/allowed-signers.ts';
import { fingerprintOf, type PublicKey } from '../protocol/public-key.ts';
import { CONFIG_REF, CONFIG_REFSPEC } from '../protocol/refs.ts';
import type { CoordClone } from './clone.ts';
import { MAX_CONFIG_BYTES } from './config-branch.ts';

export interface AddSigner {
  worker: string;
  key: PublicKey;
  /** Kept after the key in the file, for people (the .pub file's comment). */
  comment: string;
  /** Drop the worker's other keys (a lost or leaked key). */
  replace: boolean;
  by: string;
  clock: Clock;
}

/**
 * `refci worker add`: one commit on the configuration branch that adds the
 * key to `allowed_signers` (other lines as they were), pushed with a lease on
 * the tip it read, so a change somebody pushed meanwhile is never lost: the
 * command then says to run it again. Returns the new commit, or undefined when
 * the key was listed already.
 */
export async function addAllowedSigner(clone: CoordClone, add: AddSigner): Promise<string | undefined> {
  await clone.fetch([CONFIG_REFSPEC]);
  const tip = await clone.ref(CONFIG_REF);
  if (!tip) throw new RefciError('not-found', `the coordination repository has no ${CONFIG_REF}`, 'refci config init --coord URL writes the working defaults there');
  const current = await clone.readFile(tip, ALLOWED_SIGNERS_FILE, MAX_CONFIG_BYTES);
  const next = withSigner(current?.toString('utf8') ?? '', add.worker, add.key, add.comment, add.replace);
  if (!next.changed) return undefined;
  const checked = parseAllowedSigners(next.text);
  if (!checked.ok) {
    const first = checked.problems[0]!;
    throw new RefciError(
      'invalid-config',
      `${ALLOWED_SIGNERS_FILE} on ${CONFIG_REF} has a line refci does not accept (line ${first.line}: ${first.reason})`,
      'fix it with plain git first (docs/deploy.md, Changing the configuration), then run this again',
    );
  }
  const tree = await withTopFile(clone.gitdir, await commitTree(clone.gitdir, tip), ALLOWED_SIGNERS_FILE, next.text);
  const verb = add.replace ? 'replace the keys of' : 'add a key of';
  const oid = await writeCommit(clone.gitdir, {
    tree,
    parents: [tip],
    message: `allowed_signers: ${verb} worker ${add.worker} (${add.key.type} ${fingerprintOf(add.key)})`,
    author: signatureFor('operator', add.by, add.clock.now()),
  });
  const pushed = await clone.push([{ ref: CONFIG_REF, newOid: oid, expect: tip }]);
  if (pushed.won) return oid;
  if (pushed.outcome === 'refused') {
    throw new RefciError('conflict', `${CONFIG_REF} changed while the key was added (${pushed.cause})`, 'run the command again; it starts from the new tip');
  }
  throw new RefciError('git', `the key could not be pushed to ${CONFIG_REF}: ${pushed.cause}`, 'check that this host pushes with an operator key the configuration\'s admins allow (docs/deploy.md, ssh)');
}

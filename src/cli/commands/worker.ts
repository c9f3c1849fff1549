import fs from 'node:fs';
import { addAllowedSigner } from '../../coord/add-signer.ts';
import { drainWorker, undrainWorker } from '../../coord/drain.ts';
import { RefciError } from '../../errors.ts';
import { isValidName } from '../../protocol/ids.ts';
import { fingerprintOf, KEY_TYPES, parsePublicKey, type PublicKey } from '../../protocol/public-key.ts';
import type { Command } from '../command.ts';
import { coordHelp, coordOptions, hostContext, openClone } from '../context.ts';

/**
 * The key given to `refci worker add`: the public key itself
 * (`ssh-ed25519 AAAA... comment`) or the path of a `.pub` file. A private key
 * given by mistake is refused without echoing it.
 */
function readPublicKey(arg: string): { key: PublicKey; comment: string } {
  let text = arg;
  if (!KEY_TYPES.some((type) => arg.startsWith(`${type} `))) {
    try {
      text = fs.readFileSync(arg, 'utf8');
    } catch (error) {
      throw new RefciError('invalid-input', `cannot read public key ${arg}: ${(error as NodeJS.ErrnoException).code}`, 'give the .pub file of the worker\'s key, or the key itself in quotes');
    }
    if (text.includes('PRIVATE KEY-----')) throw new RefciError('invalid-input', `${arg} is a private key`, 'give its .pub file; the private key never leaves the worker');
  }
  const line = text.split('\n').find((candidate) => candidate.trim() && !candidate.trim().startsWith('#')) ?? '';
  const parsed = parsePublicKey(line);
  if (!parsed.ok) throw new RefciError('invalid-input', `${arg.length > 80 ? `${arg.slice(0, 80)}...` : arg}: ${parsed.reason}`, 'give the .pub file made by ssh-keygen on the worker');
  // The .pub file's comment (user@host) is kept for people; only printable characters.
  const comment = line.trim().split(/\s+/).slice(2).join(' ').replace(/[^\x20-\x7e]/g, '').slice(0, 200);
  return { key: parsed.value, comment };
}

export const workerCommand: Command = {
  usage: 'refci worker drain|undrain <id>... --coord URL [--reason TEXT] | worker add <id> <public key or .pub file> --coord URL [--replace]',
  help: [
    'drain <id>...       the worker finishes the job it runs and claims no more (refs/ci/drain/<id>)',
    'undrain <id>...     it claims again',
    '--reason TEXT       why, kept in the drain record and shown by refci status (default: drained by hand)',
    'add <id> <key>      list the worker\'s ssh public key in allowed_signers on refs/heads/config: results',
    '                    signed with it are that worker\'s (docs/protocol.md 2.9)',
    '--replace           with add: drop the worker\'s other keys (a lost or leaked key)',
    ...coordHelp,
  ],
  options: { ...coordOptions, reason: { type: 'string' }, replace: { type: 'boolean' } },
  async run(flags, positionals, io) {
    const [sub, ...ids] = positionals;
    if (sub !== 'drain' && sub !== 'undrain' && sub !== 'add') {
      throw new RefciError('usage', sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'a subcommand is missing', 'use drain, undrain or add; see refci worker --help');
    }
    if (sub === 'add') return addKey(flags, ids, io);
    if (ids.length === 0) throw new RefciError('usage', 'no worker id given', 'refci status lists the workers');
    for (const id of ids) if (!isValidName(id)) throw new RefciError('usage', `worker id ${JSON.stringify(id)} is not a simple name`, 'refci status lists the workers');
    const context = hostContext(flags, io, 'worker', 'operator');
    const clone = await openClone(context);
    const drain = { clone, clock: context.clock, by: context.id };
    for (const id of ids) {
      if (sub === 'drain') {
        const done = await drainWorker(drain, id, (flags.reason as string | undefined) ?? 'drained by hand');
        io.out(done ? `drained ${id}: it finishes its current job and claims no more` : `${id} was already drained`);
      } else {
        io.out((await undrainWorker(drain, id)) ? `undrained ${id}: it claims again` : `${id} was not drained`);
      }
    }
    return 0;
  },
};

async function addKey(flags: Record<string, unknown>, args: string[], io: Parameters<Command['run']>[2]): Promise<number> {
  if (args.length !== 2) throw new RefciError('usage', 'worker add takes a worker id and a public key', 'refci worker add worker-1 /path/to/key.pub --coord URL');
  const [id, keyArg] = args as [string, string];
  if (!isValidName(id)) throw new RefciError('usage', `worker id ${JSON.stringify(id)} is not a simple name`, 'use the id the worker runs with (--worker-id)');
  const { key, comment } = readPublicKey(keyArg);
  const context = hostContext(flags, io, 'worker', 'operator');
  const clone = await openClone(context);
  const replace = flags.replace === true;
  const oid = await addAllowedSigner(clone, { worker: id, key, comment, replace, by: context.id, clock: context.clock });
  const what = `${key.type} ${fingerprintOf(key)}`;
  io.out(oid ? `allowed_signers: ${id} signs with ${what}${replace ? ' (its other keys removed)' : ''}; refs/heads/config is now ${oid.slice(0, 12)}` : `allowed_signers lists ${what} for ${id} already; nothing done`);
  return 0;
}

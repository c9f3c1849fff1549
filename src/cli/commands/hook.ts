import path from 'node:path';
import { checkPush } from '../../coord/receive-hook.ts';
import { RefciError } from '../../errors.ts';
import { systemClock } from '../../host/clock.ts';
import { pusherFromEnv } from '../../protocol/pusher.ts';
import { parseReceiveLines } from '../../protocol/receive-lines.ts';
import type { Command } from '../command.ts';
import { EXIT_CODES } from '../exit-codes.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The coordination repository's pre-receive hook (installed by refci init
 * --hooks): git runs it in the repository with one `<old> <new> <ref>` line
 * per pushed ref. It prints one line per refused ref and exits non-zero if
 * any was refused, which makes git refuse the whole push. Anything it cannot
 * check is refused: the hook fails closed.
 */
export const hookCommand: Command = {
  usage: 'refci hook pre-receive',
  help: [
    'pre-receive   read `<old> <new> <ref>` lines on stdin, as git gives them to the hook; print',
    '              `refci: refused <ref>: <reason>` for each ref the pusher may not push, exit 1 if any',
    'The pusher is REFCI_PUSHER (worker:<id>, main, operator:<name>; set by the ssh gate), else GL_USER',
    '(gitolite: worker.<id>, main, operator.<name>). docs/protocol.md, Authorisation, has the rules.',
  ],
  options: {},
  async run(_flags, positionals, io) {
    if (positionals[0] !== 'pre-receive' || positionals.length > 1) {
      throw new RefciError('usage', positionals[0] ? `unknown hook ${JSON.stringify(positionals.join(' '))}` : 'the hook name is missing', 'run refci hook pre-receive (refci init --hooks installs it)');
    }
    const { updates, problems } = parseReceiveLines(await readStdin());
    for (const problem of problems) io.err(`refci: refused: ${problem}`);
    const who = pusherFromEnv(io.env);
    if (!who.ok) {
      for (const update of updates) io.err(`refci: refused ${update.ref}: ${who.reason}`);
      return EXIT_CODES.refused;
    }
    const gitdir = path.resolve(io.env.GIT_DIR ?? '.');
    let refused = problems.length > 0;
    try {
      const { decisions, note } = await checkPush({ gitdir, pusher: who.pusher, updates, env: io.env, nowMs: systemClock.now() });
      if (note) io.err(`refci: note: ${note}`);
      for (const decision of decisions) {
        if (decision.allowed) continue;
        refused = true;
        io.err(`refci: refused ${decision.ref}: ${decision.reason}`);
      }
    } catch (error) {
      // Fail closed: a push the hook could not check does not go in.
      const why = error instanceof RefciError ? error.oneLine() : (error as Error).message;
      for (const update of updates) io.err(`refci: refused ${update.ref}: the hook could not check it: ${why}`);
      return EXIT_CODES.refused;
    }
    return refused ? EXIT_CODES.refused : EXIT_CODES.ok;
  },
};

import { git, gitFailure } from './runner.ts';

/**
 * One ref update with its lease: what the remote must hold for the push to
 * win. An update whose `newOid` equals `expect` changes nothing and only
 * checks: git reports the ref as up to date when it still holds that commit
 * and refuses the whole atomic push (`stale info`) when it moved or is gone.
 */
export interface RefUpdate {
  ref: string;
  /** New tip, or null to delete the ref. */
  newOid: string | null;
  /** null: the ref must not exist; an oid: it must be exactly that; undefined: no lease (never for claims). */
  expect?: string | null;
}

/** An update that only checks the ref (its lease names the tip it would write). */
export function checksOnly(update: RefUpdate): boolean {
  return update.newOid !== null && update.newOid === update.expect;
}

export type RefOutcome = 'updated' | 'rejected' | 'up-to-date';

/**
 * How a push ended. `refused`: a compare-and-swap did not hold (a lease named
 * a tip the remote no longer has, a create-only ref exists, the ref moved
 * under the server's own check): another writer got there first. `failed`:
 * anything else (no connection, a hook or permission refusal, a remote
 * error): never a lost race. After a lost connection nothing is known about
 * the refs, and trying again may win; a hook's refusal keeps the remote's
 * own reason in `cause`.
 */
export type PushOutcome = 'won' | 'refused' | 'failed';

export interface PushResult {
  won: boolean;
  outcome: PushOutcome;
  /** git's own words for a push that did not win (the rejected ref's reason, or stderr's error line). */
  cause: string;
  refs: Map<string, { outcome: RefOutcome; summary: string }>;
  stderr: string;
  /** A push that won although git reported a failure (the answer was lost; the repository was asked afterwards): git's words. */
  answerLost?: string;
}

/** Porcelain reasons that mean a lease did not hold; "atomic push failed" only echoes another ref's reason. */
const LEASE_REFUSAL = /stale info|fetch first|non-fast-forward|already exists|but expected/;

/**
 * Compare-and-swap on the remote: `--force-with-lease=<ref>:<expect>` on every
 * ref, `--atomic` so several refs change together or not at all, and
 * `--porcelain` so the outcome of each ref can be read. A push has won only if
 * git exits 0 and every ref is reported as updated: identical commits would
 * make a lost race say "up to date" and exit 0.
 */
export async function pushWithLease(localRepo: string, remote: string, updates: RefUpdate[]): Promise<PushResult> {
  const args = ['push', '--porcelain', '--no-verify'];
  if (updates.length > 1) args.push('--atomic');
  for (const update of updates) {
    if (update.expect !== undefined) args.push(`--force-with-lease=${update.ref}:${update.expect ?? ''}`);
  }
  args.push('--', remote);
  for (const update of updates) {
    args.push(update.newOid === null ? `:${update.ref}` : `${update.newOid}:${update.ref}`);
  }
  const output = await git(args, { cwd: localRepo, allowFailure: true });
  return judgePush(updates, output, () => gitFailure(args, output).message);
}

/**
 * How a push ended, from git's exit code, porcelain lines and stderr (or the
 * same words made by another transport: coord/memory-remote.ts); `failure`
 * words a push that failed for no reason the porcelain gives.
 */
export function judgePush(updates: RefUpdate[], output: { exitCode: number; stdout: string; stderr: string }, failure: () => string): PushResult {
  const refs = parsePorcelain(output.stdout);
  const done = (update: RefUpdate) => {
    const outcome = refs.get(update.ref)?.outcome;
    return outcome === 'updated' || (outcome === 'up-to-date' && checksOnly(update));
  };
  const won = output.exitCode === 0 && updates.every(done);
  if (won) return { won, outcome: 'won', cause: '', refs, stderr: output.stderr };
  const mine = updates.map((update) => ({ ref: update.ref, check: checksOnly(update), ...refs.get(update.ref) }));
  const refusal = mine.find((ref) => (ref.outcome === 'rejected' && LEASE_REFUSAL.test(ref.summary ?? '')) || (ref.outcome === 'up-to-date' && !ref.check));
  if (refusal) return { won, outcome: 'refused', cause: `${refusal.ref} ${refusal.summary}`, refs, stderr: output.stderr };
  const lostOnServer = serverSideLoss(output.stderr, updates);
  if (lostOnServer) return { won, outcome: 'refused', cause: `${lostOnServer.ref} ${refs.get(lostOnServer.ref)?.summary ?? '[remote rejected]'}: ${lostOnServer.said}`, refs, stderr: output.stderr };
  const rejected = mine.find((ref) => ref.outcome === 'rejected' && !/atomic push failed/.test(ref.summary ?? ''));
  const cause = rejected ? `${rejected.ref} ${rejected.summary}${remoteReason(output.stderr, rejected.ref)}` : failure();
  return { won, outcome: 'failed', cause, refs, stderr: output.stderr };
}

/**
 * A lease that held when the remote advertised its refs but not when it
 * updated them: another writer's push landed in between, and receive-pack
 * failed the update (porcelain `[remote rejected] (failed to update ref)`, or
 * `(atomic transaction failed)`). Its own words name the ref: `cannot lock
 * ref '<ref>': reference already exists` (a create-only ref), or `is at <oid>
 * but expected <oid>` (a swap). That is a lost race like a client-side `stale
 * info`, not a failure.
 */
function serverSideLoss(stderr: string, updates: RefUpdate[]): { ref: string; said: string } | undefined {
  return serverSideLosses(stderr).find((loss) => updates.some((update) => update.ref === loss.ref && update.expect !== undefined));
}

/** Every ref whose update receive-pack failed because another push moved it first (see serverSideLoss). */
function serverSideLosses(stderr: string): { ref: string; said: string }[] {
  const losses: { ref: string; said: string }[] = [];
  for (const line of stderr.split('\n')) {
    const match = /^remote: error: cannot lock ref '([^']+)': (reference already exists|is at [0-9a-f]+ but expected [0-9a-f]+)/.exec(line.trim());
    if (match) losses.push({ ref: match[1]!, said: `cannot lock ref: ${match[2]}` });
  }
  return losses;
}

/**
 * What the remote said about a ref it declined: a hook's or an access
 * control's own words (`remote: refci: refused <ref>: <reason>`), so that the
 * refusal reaches the log instead of only "pre-receive hook declined".
 */
export function remoteReason(stderr: string, ref: string): string {
  const said = stderr
    .split('\n')
    .map((line) => /^remote: (.*)$/.exec(line)?.[1]?.trim() ?? '')
    .filter(Boolean);
  const aboutRef = said.filter((line) => line.includes(ref));
  const lines = (aboutRef.length > 0 ? aboutRef : said).slice(0, 3);
  return lines.length > 0 ? `: ${lines.join('; ')}` : '';
}

/**
 * Porcelain lines are `<flag>\t<from>:<to>\t<summary>`; flags: ' ' fast-forward,
 * '+' forced, '-' deleted, '*' new ref, '=' up to date, '!' rejected.
 */
export function parsePorcelain(stdout: string): Map<string, { outcome: RefOutcome; summary: string }> {
  const refs = new Map<string, { outcome: RefOutcome; summary: string }>();
  for (const line of stdout.split('\n')) {
    const match = /^([ +\-*=!])\t([^\t]*)\t(.*)$/.exec(line);
    if (!match) continue;
    const [, flag, fromTo, summary] = match;
    const to = fromTo.slice(fromTo.lastIndexOf(':') + 1);
    const outcome: RefOutcome = flag === '!' ? 'rejected' : flag === '=' ? 'up-to-date' : 'updated';
    refs.set(to, { outcome, summary });
  }
  return refs;
}

/**
 * The refs whose own lease failed in a push that did not win (`stale info`,
 * `already exists`...), not those git only rejected because an atomic push
 * failed elsewhere: a batch learns from them which of its parts moved.
 */
export function refusedRefs(result: PushResult): string[] {
  const porcelain = [...result.refs].filter(([, ref]) => ref.outcome === 'rejected' && LEASE_REFUSAL.test(ref.summary)).map(([name]) => name);
  // A race lost on the server side shows in porcelain only as "(atomic transaction failed)"; receive-pack's own line names the ref.
  const onServer = serverSideLosses(result.stderr).map((loss) => loss.ref);
  return [...new Set([...porcelain, ...onServer])];
}

/** The refs the remote itself declined (a hook, a permission), other than the echo of a failed atomic push. */
export function declinedRefs(result: PushResult): string[] {
  const lostOnServer = new Set(serverSideLosses(result.stderr).map((loss) => loss.ref));
  return [...result.refs]
    .filter(([name, ref]) => ref.outcome === 'rejected' && !LEASE_REFUSAL.test(ref.summary) && !/atomic (push|transaction) failed/.test(ref.summary) && !lostOnServer.has(name))
    .map(([name]) => name);
}

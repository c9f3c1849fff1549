import { isValidName } from './ids.ts';

/**
 * Who is pushing to the coordination repository, as the repository's own
 * hook learns it: the ssh gate of each key sets `REFCI_PUSHER` (`worker:w1`,
 * `main`, `operator:alice`); under gitolite, which sets only `GL_USER`, the
 * user name carries the same two parts with a dot (`worker.w1`, `main`,
 * `operator.alice`), because gitolite user names cannot hold a colon.
 */
export const PUSHER_ROLES = ['worker', 'main', 'operator'] as const;
export type PusherRole = (typeof PUSHER_ROLES)[number];

export interface Pusher {
  role: PusherRole;
  /** The worker id, the operator's name, or the main host's name ('' when the gate gives none). */
  name: string;
}

export type PusherParse = { ok: true; pusher: Pusher; source: string } | { ok: false; reason: string };

/** Reads the pusher from the hook's environment: `REFCI_PUSHER` first, then gitolite's `GL_USER`. */
export function pusherFromEnv(env: Record<string, string | undefined>): PusherParse {
  const refci = env.REFCI_PUSHER?.trim();
  if (refci) return parsePusher(refci, ':', 'REFCI_PUSHER');
  const gitolite = env.GL_USER?.trim();
  if (gitolite) return parsePusher(gitolite, '.', 'GL_USER');
  return { ok: false, reason: 'no pusher identity: the ssh gate sets REFCI_PUSHER (worker:<id>, main or operator:<name>), gitolite sets GL_USER' };
}

/** `worker<sep><id>`, `main[<sep><host>]`, `operator<sep><name>`. */
export function parsePusher(value: string, separator: ':' | '.', source: string): PusherParse {
  const at = value.indexOf(separator);
  const role = at === -1 ? value : value.slice(0, at);
  const name = at === -1 ? '' : value.slice(at + 1);
  const bad = (why: string): PusherParse => ({ ok: false, reason: `${source}=${JSON.stringify(value)} ${why}` });
  if (!(PUSHER_ROLES as readonly string[]).includes(role)) return bad(`names no role: it must start with worker, main or operator`);
  if (name !== '' && !isValidName(name)) return bad('has a name that is not a simple name (letters, digits, dot, dash, underscore)');
  if (role !== 'main' && name === '') return bad(`gives no name: ${role}${separator}<name>`);
  return { ok: true, pusher: { role: role as PusherRole, name }, source };
}

export function describePusher(pusher: Pusher): string {
  if (pusher.role === 'main') return pusher.name ? `main host ${pusher.name}` : 'the main host';
  return `${pusher.role} ${pusher.name}`;
}

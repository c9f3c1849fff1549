import { NAME_PATTERN } from './ids.ts';
import { checkKey, sameKey, type PublicKey } from './public-key.ts';

/**
 * The fleet's allowed signers: `allowed_signers` beside `config.json` on the
 * configuration branch, in OpenSSH's format (ssh-keygen(1), ALLOWED SIGNERS),
 * one key a line: `<worker id> <key type> <base64> [comment]`. The principal
 * is the worker id, so a key signs for that worker only.
 *
 * refci accepts a strict subset of the format: one worker id per line (no
 * lists, no patterns: a pattern would let one key sign as many workers) and
 * no options. A worker may have several lines (a new key next to the old one
 * while it is rotated). Lines starting with `#` and blank lines are kept as
 * they are by `refci worker add`.
 */
export const ALLOWED_SIGNERS_FILE = 'allowed_signers';

export interface AllowedSigner {
  worker: string;
  key: PublicKey;
}

export interface SignersProblem {
  line: number;
  reason: string;
}

export type SignersCheck = { ok: true; signers: AllowedSigner[] } | { ok: false; problems: SignersProblem[] };

function isEntry(line: string): boolean {
  const text = line.trim();
  return text !== '' && !text.startsWith('#');
}

function parseLine(line: string): { ok: true; signer: AllowedSigner } | { ok: false; reason: string } {
  const [principal, type, blob] = line.trim().split(/\s+/);
  if (/[,*?!]/.test(principal!)) return { ok: false, reason: `${JSON.stringify(principal)} must be one worker id (lists and patterns are not accepted)` };
  if (!NAME_PATTERN.test(principal!)) return { ok: false, reason: `${JSON.stringify(principal!.slice(0, 70))} is not a worker id` };
  if (type === undefined || blob === undefined) return { ok: false, reason: 'expected "<worker id> <key type> <base64> [comment]"' };
  if (type.includes('=')) return { ok: false, reason: `options such as ${JSON.stringify(type.slice(0, 40))} are not accepted; write "<worker id> <key type> <base64>"` };
  const key = checkKey(type, blob);
  return key.ok ? { ok: true, signer: { worker: principal!, key: key.value } } : { ok: false, reason: key.reason };
}

/** Parses the file; every bad line is a problem with its number, never an exception. */
export function parseAllowedSigners(text: string): SignersCheck {
  const signers: AllowedSigner[] = [];
  const problems: SignersProblem[] = [];
  text.split('\n').forEach((line, index) => {
    if (!isEntry(line)) return;
    const parsed = parseLine(line);
    if (parsed.ok) signers.push(parsed.signer);
    else problems.push({ line: index + 1, reason: parsed.reason });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, signers };
}

/** The file as ssh-keygen reads it, from checked entries only: nothing a person wrote reaches ssh-keygen unchecked. */
export function formatAllowedSigners(signers: AllowedSigner[]): string {
  return signers.map((signer) => `${signer.worker} ${signer.key.type} ${signer.key.blob}\n`).join('');
}

export function keysOf(signers: AllowedSigner[] | undefined, worker: string): PublicKey[] {
  return (signers ?? []).filter((signer) => signer.worker === worker).map((signer) => signer.key);
}

/** Which workers a key signs for (normally one). */
export function workersOfKey(signers: AllowedSigner[] | undefined, key: PublicKey): string[] {
  return (signers ?? []).filter((signer) => sameKey(signer.key, key)).map((signer) => signer.worker);
}

/**
 * The file with `key` added for `worker`, other lines kept as written.
 * `replace` drops the worker's other keys first (a lost or leaked key).
 * Unchanged when the worker already has exactly this key (and, with
 * `replace`, no other).
 */
export function withSigner(text: string, worker: string, key: PublicKey, comment: string, replace: boolean): { text: string; changed: boolean } {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  /** The key of one of the worker's lines, undefined for any other line. */
  const keyOn = (line: string): PublicKey | undefined => {
    if (!isEntry(line)) return undefined;
    const parsed = parseLine(line);
    return parsed.ok && parsed.signer.worker === worker ? parsed.signer.key : undefined;
  };
  const mine = lines.map(keyOn).filter((listed): listed is PublicKey => listed !== undefined);
  const has = mine.some((listed) => sameKey(listed, key));
  const others = mine.filter((listed) => !sameKey(listed, key));
  if (has && (!replace || others.length === 0)) return { text, changed: false };
  const entry = `${worker} ${key.type} ${key.blob}${comment ? ` ${comment}` : ''}`;
  // With replace, the worker's lines go, but the one with this key, which stays where it was.
  const kept = replace ? lines.filter((line) => keyOn(line) === undefined || (has && sameKey(keyOn(line)!, key))) : lines;
  return { text: `${[...kept, ...(has ? [] : [entry])].join('\n')}\n`, changed: true };
}

import { createHash } from 'node:crypto';

/**
 * OpenSSH public keys as they appear in `<key>.pub` files and in
 * allowed_signers lines: `<type> <base64 blob> [comment]`. The blob starts
 * with the key type again (an SSH string: 4-byte length, then the bytes), so a
 * key whose two types disagree, or whose base64 is damaged, is refused here
 * rather than by ssh-keygen at the moment a result is checked.
 */
export const KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

export interface PublicKey {
  type: string;
  /** The base64 blob, exactly as written. */
  blob: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Reads one SSH string (4-byte big-endian length, then the bytes) at `offset`; undefined when the buffer is too short. */
export function sshString(buffer: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  if (offset + 4 > buffer.length) return undefined;
  const length = buffer.readUInt32BE(offset);
  const end = offset + 4 + length;
  if (end > buffer.length) return undefined;
  return { value: buffer.subarray(offset + 4, end), next: end };
}

/** Checks a key type and base64 blob: a known type, canonical base64, and a blob that names the same type. */
export function checkKey(type: string, blob: string): Parsed<PublicKey> {
  if (!(KEY_TYPES as readonly string[]).includes(type)) {
    return { ok: false, reason: `${JSON.stringify(type.slice(0, 40))} is not an SSH public key type (${KEY_TYPES.join(', ')})` };
  }
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? Buffer.from(blob, 'base64') : undefined;
  if (!bytes || bytes.toString('base64') !== blob) return { ok: false, reason: 'the key is not valid base64' };
  const named = sshString(bytes, 0);
  if (!named || named.value.toString('latin1') !== type) return { ok: false, reason: `the key's data is not a ${type} key` };
  return { ok: true, value: { type, blob } };
}

/** Parses `<type> <base64> [comment]`, the content of a `.pub` file. */
export function parsePublicKey(text: string): Parsed<PublicKey> {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 2 || fields[0] === '') return { ok: false, reason: 'not an SSH public key (expected "<type> <base64> [comment]", the content of a .pub file)' };
  return checkKey(fields[0]!, fields[1]!);
}

/** The fingerprint ssh-keygen prints (`SHA256:` and unpadded base64 of the blob's sha256), for messages. */
export function fingerprintOf(key: PublicKey): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(key.blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

export function sameKey(a: PublicKey, b: PublicKey): boolean {
  return a.type === b.type && a.blob === b.blob;
}

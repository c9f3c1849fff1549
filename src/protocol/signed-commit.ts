import { checkKey, sshString, type PublicKey } from './public-key.ts';

/**
 * A commit object split the way git verifies it: the signature is the value
 * of the `gpgsig` header (its continuation lines start with one space), and
 * what was signed is the commit object without that header, byte for byte.
 * `git verify-commit` and refci's collector check the same payload.
 */
export interface SignedCommit {
  /** The commit object without its `gpgsig` header: what the signature covers. */
  payload: string;
  /** The armored signature, without the header's indentation; undefined for an unsigned commit. */
  signature?: string;
  parents: string[];
}

export const SSH_SIGNATURE_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const SSH_SIGNATURE_END = '-----END SSH SIGNATURE-----';

export function splitSignedCommit(raw: string): SignedCommit {
  const end = raw.indexOf('\n\n');
  const headerText = end === -1 ? raw : raw.slice(0, end + 1);
  const rest = end === -1 ? '' : raw.slice(end + 1);
  const lines = headerText.split('\n');
  const kept: string[] = [];
  const parents: string[] = [];
  let signature: string[] | undefined;
  let inSignature = false;
  for (const line of lines) {
    if (inSignature && line.startsWith(' ')) {
      signature!.push(line.slice(1));
      continue;
    }
    inSignature = false;
    if (line.startsWith('gpgsig ') && signature === undefined) {
      signature = [line.slice('gpgsig '.length)];
      inSignature = true;
      continue;
    }
    if (line.startsWith('parent ')) parents.push(line.slice('parent '.length));
    kept.push(line);
  }
  return { payload: kept.join('\n') + rest, ...(signature ? { signature: `${signature.join('\n')}\n` } : {}), parents };
}

export type SignatureKind = 'unsigned' | 'ssh' | 'other';

export function signatureKind(commit: SignedCommit): SignatureKind {
  if (commit.signature === undefined) return 'unsigned';
  return commit.signature.startsWith(SSH_SIGNATURE_BEGIN) ? 'ssh' : 'other';
}

/**
 * The public key an SSH signature says it was made with (the SSHSIG blob:
 * magic, version, public key, ...). Only for naming the signer in a refusal:
 * whether the signature is good is ssh-keygen's answer, never this.
 */
export function signingKeyOf(armored: string): PublicKey | undefined {
  const body = armored.trim().split('\n');
  if (body[0] !== SSH_SIGNATURE_BEGIN || body.at(-1) !== SSH_SIGNATURE_END) return undefined;
  const bytes = Buffer.from(body.slice(1, -1).join(''), 'base64');
  if (bytes.subarray(0, 6).toString('latin1') !== 'SSHSIG' || bytes.length < 10) return undefined;
  const key = sshString(bytes, 10);
  const type = key ? sshString(key.value, 0) : undefined;
  if (!key || !type) return undefined;
  const checked = checkKey(type.value.toString('latin1'), key.value.toString('base64'));
  return checked.ok ? checked.value : undefined;
}

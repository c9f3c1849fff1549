import { openSigningKey, type SigningKey } from '../git/ssh-signature.ts';

/** The variable that names this host's signing key when --signing-key is not given. */
export const SIGNING_KEY_ENV = 'REFCI_SIGNING_KEY';

/** Where this host's signing key is, from its own flag or environment: never from the coordination repository. */
export function signingKeyPath(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  const flag = flags['signing-key'];
  if (typeof flag === 'string' && flag !== '') return flag;
  return env[SIGNING_KEY_ENV] || undefined;
}

/** Opens the key when one is configured; a key that cannot be used stops the command with one line before any work. */
export async function signingKeyOf(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<SigningKey | undefined> {
  const file = signingKeyPath(flags, env);
  return file ? openSigningKey(file, env) : undefined;
}

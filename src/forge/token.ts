import fs from 'node:fs/promises';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { FORGE_NAMES, type ForgeKind } from './types.ts';

export const TOKEN_ENV: Record<ForgeKind, string> = { github: 'GITHUB_TOKEN', codeberg: 'CODEBERG_TOKEN' };

const REDACTED = '[redacted]';

/**
 * A forge token that does not print itself: String(), JSON.stringify() and util.inspect() show
 * `[redacted]`. The raw value is only read by the forge client when it builds the Authorization
 * header (`reveal()`).
 */
export class ForgeToken {
  readonly #value: string;
  /** Where it came from (`GITHUB_TOKEN`, `token file /etc/refci/github-token`), for messages. */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ForgeToken(${REDACTED} from ${this.source})`;
  }
}

export interface ResolveTokenOptions {
  forge: ForgeKind;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** A file holding only the token; wins over the environment variable when given. */
  tokenFile?: string;
}

/**
 * Where a host keeps a forge's token when neither a token file is named nor the variable set:
 * `~/.config/refci/github-token` (`$XDG_CONFIG_HOME/refci/…` when set). The documented cron and
 * systemd lines rely on it, so that `refci collect` finds the token `refci enqueue` uses without
 * a flag. Undefined when the environment names no home.
 */
export function defaultTokenFile(forge: ForgeKind, env: Record<string, string | undefined>): string | undefined {
  const config = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, '.config') : undefined);
  return config ? path.join(config, 'refci', `${forge}-token`) : undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the token for one forge: the token file when one is given, else GITHUB_TOKEN or
 * CODEBERG_TOKEN. Errors name where refci looked, never the token.
 */
export async function resolveToken(options: ResolveTokenOptions): Promise<ForgeToken> {
  const name = FORGE_NAMES[options.forge];
  const variable = TOKEN_ENV[options.forge];
  if (options.tokenFile !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(options.tokenFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new RefciError(
        'invalid-input',
        `${name} token file ${options.tokenFile} cannot be read (${code})`,
        `create it holding only the token (mode 0600), or unset the token file to use ${variable}`,
      );
    }
    const token = text.trim();
    if (token === '') {
      throw new RefciError('invalid-input', `${name} token file ${options.tokenFile} is empty`, 'write the token into it, alone on one line');
    }
    if (/\s/.test(token)) {
      throw new RefciError(
        'invalid-input',
        `${name} token file ${options.tokenFile} holds more than one word`,
        'keep only the token in the file, on one line',
      );
    }
    return new ForgeToken(token, `token file ${options.tokenFile}`);
  }
  const env = options.env ?? process.env;
  const token = env[variable]?.trim();
  if (!token) {
    const fallback = defaultTokenFile(options.forge, env);
    if (fallback && (await exists(fallback))) return resolveToken({ ...options, tokenFile: fallback });
    throw new RefciError(
      'usage',
      fallback
        ? `no ${name} token: ${variable} is not set, no token file was given and ${fallback} does not exist`
        : `no ${name} token: ${variable} is not set and no token file was given`,
      `put the token in ${fallback ?? `~/.config/refci/${options.forge}-token`} (mode 0600), set ${variable}, or configure a token file (see docs/forge.md for the scopes it needs)`,
    );
  }
  if (/\s/.test(token)) {
    throw new RefciError('usage', `${variable} holds more than one word`, `set ${variable} to the token alone`);
  }
  return new ForgeToken(token, variable);
}

export function tokenValue(token: ForgeToken | string): string {
  return typeof token === 'string' ? token : token.reveal();
}

/** Replaces every occurrence of the secrets (and their URL-encoded forms) in text. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue; // too short to be a token; replacing it would mangle text
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join(REDACTED);
  }
  return out;
}

/** A copy of a RefciError with the secrets removed from its message, hint and details. */
export function scrubError(error: RefciError, secrets: readonly string[]): RefciError {
  const details = error.details
    ? (JSON.parse(scrub(JSON.stringify(error.details), secrets)) as Record<string, unknown>)
    : undefined;
  const hint = error.hint === undefined ? undefined : scrub(error.hint, secrets);
  return new RefciError(error.code, scrub(error.message, secrets), hint, details);
}

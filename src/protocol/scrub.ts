/**
 * Removes the shapes of known secrets from a step's output before any of it
 * is stored in a commit (the live log tails of the lock chain and the result's
 * step logs). The sandbox already starts steps with a cleared environment, so
 * a step should have no secret to print; this is the second line of defence,
 * for a token that reached a step anyway (a credential in a repository's
 * configuration, a tool that prints its own).
 *
 * Logs are bytes, not always UTF-8: the text is read as latin1, which maps
 * every byte to one character and back, so everything but a secret is kept
 * byte for byte. The replacements are ASCII and never contain a line break.
 */

export const REDACTED = '[redacted]';

const RULES: { pattern: RegExp; replace: (match: string, ...groups: string[]) => string }[] = [
  // GitHub tokens: personal (classic and fine-grained), OAuth, app installation, user-to-server, refresh.
  { pattern: /\b(gh[pousr]_)[A-Za-z0-9]{16,}/g, replace: (_m, prefix) => `${prefix}${REDACTED}` },
  { pattern: /\b(github_pat_)[A-Za-z0-9_]{16,}/g, replace: (_m, prefix) => `${prefix}${REDACTED}` },
  // An Authorization header's value, in a header dump (`Authorization: token x`) or a JSON or config line (`"authorization": "Bearer x"`).
  {
    pattern: /\b((?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?)[^\r\n"']+/gi,
    replace: (_m, name) => `${name}${REDACTED}`,
  },
  // A bearer token wherever it is printed without its header name (long enough not to be a word of a sentence).
  { pattern: /\b(bearer[ \t]+)[A-Za-z0-9._~+/=-]{16,}/gi, replace: (_m, scheme) => `${scheme}${REDACTED}` },
  // Credentials in a URL: `https://user:password@host` keeps the user, loses the password.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#@]+@/gi, replace: (_m, before) => `${before}${REDACTED}@` },
];

/** The text with every known secret shape replaced by `[redacted]` (the part that names what it was, such as `ghp_`, stays). */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace as (substring: string, ...args: string[]) => string);
  return out;
}

/** The same on bytes, keeping every byte that is not part of a secret. */
export function scrubBytes(bytes: Uint8Array): Buffer {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const scrubbed = scrubSecrets(text);
  return scrubbed === text ? Buffer.from(bytes) : Buffer.from(scrubbed, 'latin1');
}

/** A line is held at most this long before it is scrubbed in pieces (a tool that never ends its line must not fill memory). */
export const MAX_HELD_LINE = 64 * 1024;

/**
 * Scrubs a stream of output line by line: a secret cut between two chunks of
 * a pipe is still whole when its line is scrubbed. A line ends at `\n` or at
 * `\r` (progress bars redraw with `\r`). The bytes given back are the stream's
 * bytes, scrubbed, in order; only a line still open is held back until the
 * next chunk or `end`.
 */
export class SecretScrubber {
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly maxHeld = MAX_HELD_LINE) {}

  /** The scrubbed output of every line this chunk completes. */
  push(chunk: Uint8Array): Buffer {
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : Buffer.from(chunk);
    let end = lastLineEnd(data);
    if (end === 0 && data.length > this.maxHeld) end = pieceEnd(data);
    this.held = Buffer.from(data.subarray(end));
    return end === 0 ? Buffer.alloc(0) : scrubBytes(data.subarray(0, end));
  }

  /** The scrubbed rest: the last line, when the output did not end with a line break. */
  end(): Buffer {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return rest.length ? scrubBytes(rest) : rest;
  }
}

/** The index just after the last `\n` or `\r`, or 0. */
function lastLineEnd(data: Buffer): number {
  for (let index = data.length - 1; index >= 0; index--) {
    if (data[index] === 0x0a || data[index] === 0x0d) return index + 1;
  }
  return 0;
}

/**
 * Where to cut a line too long to hold: at its last space or tab, since no
 * secret shape contains one, but before a header name or scheme that would
 * otherwise be cut from its value. A line without any is cut where it is.
 */
function pieceEnd(data: Buffer): number {
  const text = data.toString('latin1');
  const space = Math.max(text.lastIndexOf(' '), text.lastIndexOf('\t'));
  if (space <= 0) return data.length;
  const before = text.slice(0, space + 1);
  const keyword = /(?:\b(?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?(?:[A-Za-z]+[ \t]+)?|\bbearer[ \t]+)$/i.exec(before);
  const cut = keyword ? keyword.index : space + 1;
  return cut > 0 ? cut : data.length;
}

import * as z from './zod.ts';

/**
 * Shared rules for every record refci stores as JSON in a commit tree. A
 * record is read with `decodeRecord`, which never throws: hostile or broken
 * input becomes a `{ ok: false, reason }` that names the file and the problem.
 */
export const MAX_RECORD_BYTES = 64 * 1024;
export const MAX_STRING = 2048;

const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** A string without control characters and of bounded length. */
export const safeString = (max = MAX_STRING) =>
  z
    .string()
    .max(max)
    .refine((value) => !CONTROL_CHARS.test(value), 'contains control characters');

export const commitId = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a full commit id in lowercase hex');
export const isoTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'must be an ISO 8601 UTC time');

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

export function decodeRecord<T>(
  file: string,
  text: string | Buffer,
  schema: z.ZodType<T>,
  supportedVersions: readonly number[] = [1],
): Decoded<T> {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  if (size > MAX_RECORD_BYTES) {
    return { ok: false, reason: `${file} is ${size} bytes, more than the limit of ${MAX_RECORD_BYTES}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString());
  } catch (error) {
    return { ok: false, reason: `${file} is not valid JSON (${(error as Error).message.split('\n')[0]})` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: `${file} must hold a JSON object` };
  }
  const version = (raw as { version?: unknown }).version;
  if (!supportedVersions.includes(version as number)) {
    return {
      ok: false,
      reason: `${file} has version ${JSON.stringify(version)}, this refci reads version ${supportedVersions.join(' or ')}`,
    };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    return { ok: false, reason: `${file} field ${where}: ${issue.message}` };
  }
  return { ok: true, value: parsed.data };
}

export function encodeRecord(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

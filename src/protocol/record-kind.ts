import type * as z from './zod.ts';
import { decodeRecord, encodeRecord, type Decoded } from './codec.ts';

/**
 * One definition per kind of record refci stores as a commit on a ref: where
 * it lives, the file holding it, its schema and readable versions, the line a
 * person reads in `git log`, and the trailers machines read instead of that
 * line. Every writer and reader of records goes through these definitions.
 */
export interface RecordKind<T> {
  /** What the record is called in messages. */
  name: string;
  /** The file in the commit's tree that holds the record. */
  file: string;
  schema: z.ZodType<T>;
  versions: readonly number[];
  /** The ref a record of this kind lives on, for its key (a job id, a worker id). */
  ref(key: string): string;
  /** The subject line of the record's commit, for people. */
  subject(record: T): string;
  /** `Refci-*` trailers of the record's commit, for programs (docs/protocol.md lists them). */
  trailers(record: T): Record<string, string>;
}

export function defineRecordKind<T>(kind: Omit<RecordKind<T>, 'versions'> & { versions?: readonly number[] }): RecordKind<T> {
  return { versions: [1], ...kind };
}

/** Decodes a record of this kind; never throws (hostile input becomes a reason). */
export function decodeAs<T>(kind: RecordKind<T>, text: string | Buffer): Decoded<T> {
  return decodeRecord(kind.file, text, kind.schema, kind.versions);
}

export function encodeAs<T>(kind: RecordKind<T>, record: T): string {
  return encodeRecord(record);
}

/** The whole commit message: the subject, a blank line, the trailers. */
export function messageOf<T>(kind: RecordKind<T>, record: T): string {
  const trailers = Object.entries({ 'Refci-Kind': kind.name, ...kind.trailers(record) });
  return `${kind.subject(record)}\n\n${trailers.map(([key, value]) => `${key}: ${value}`).join('\n')}`;
}

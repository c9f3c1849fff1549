import * as z from './zod.ts';
import { commitId, isoTime, safeString } from './codec.ts';
import { JOB_ID_PATTERN, NAME_PATTERN } from './ids.ts';
import { defineRecordKind } from './record-kind.ts';
import { workerRef } from './refs.ts';

export const WORKER_STATES = ['idle', 'running', 'drained', 'stopped'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/**
 * A worker's presence: one commit on `refs/ci/workers/<id>`, chained to the
 * previous one. Times are the worker's clock, for people only.
 */
export const presenceSchema = z.strictObject({
  version: z.literal(1),
  worker: z.string().regex(NAME_PATTERN),
  host: safeString(256),
  kind: safeString(64),
  state: z.enum(WORKER_STATES),
  /** Last seen, on the worker's clock. */
  at: isoTime,
  /** Pipelines it claims now (allowed, and their tools answer and meet their wanted versions). */
  pipelines: z.array(safeString(64)).max(256),
  /** Pipelines it may run but not now, and why. */
  blocked: z.record(safeString(64), safeString(1024)).default({}),
  tools: z.record(z.string().max(64), safeString(256)).default({}),
  job: z
    .strictObject({
      id: z.string().regex(JOB_ID_PATTERN),
      pipeline: safeString(64),
      attempt: z.number().int().min(1),
      startedAt: isoTime,
    })
    .nullable()
    .default(null),
  configCommit: commitId.optional(),
  /** Position in the chain; a worker starts a new chain past a limit. */
  seq: z.number().int().min(1),
});

export type PresenceRecord = z.output<typeof presenceSchema>;

export const PRESENCE = defineRecordKind<PresenceRecord>({
  name: 'presence',
  file: 'worker.json',
  schema: presenceSchema,
  ref: workerRef,
  subject: (record) => {
    const what =
      record.state === 'running' && record.job
        ? `running ${record.job.id} (${record.job.pipeline}, attempt ${record.job.attempt})`
        : record.state === 'idle'
          ? `idle, pipelines ${record.pipelines.join(',') || 'none'}`
          : record.state;
    return `presence ${record.worker}: ${what}`;
  },
  trailers: (record) => ({ 'Refci-Worker': record.worker, 'Refci-State': record.state }),
});

/**
 * What a change of presence is about: what the worker can do and whether it
 * claims at all. Which job it runs is left out (the lock refs say that, and
 * announcing each job start and end would double the pushes of a busy fleet),
 * as are the time and the chain position.
 */
export function presenceKey(record: Omit<PresenceRecord, 'at' | 'seq' | 'version'>): string {
  const { worker, host, kind, pipelines, blocked, tools, configCommit } = record;
  const state = record.state === 'running' ? 'idle' : record.state;
  return JSON.stringify({ worker, host, kind, state, pipelines, blocked, tools, configCommit });
}

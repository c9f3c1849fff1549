import type { CoordClone } from './clone.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { WORKERS_PREFIX, workerRef } from '../protocol/refs.ts';
import { PRESENCE, presenceKey, type PresenceRecord } from '../protocol/presence.ts';
import { readRecord, readRecords, writeRecord } from './records.ts';
import { inPhase } from '../git/observe.ts';

export type PresenceState = Omit<PresenceRecord, 'version' | 'at' | 'seq'>;

/** A chain longer than this starts again from a root commit, so a status host never downloads a year of presence. */
export const PRESENCE_CHAIN_MAX = 1000;

/**
 * Announces a worker on `refs/ci/workers/<id>`: a commit whose parent is the
 * previous presence commit, pushed with a lease on that tip. It pushes when
 * what it can do changed (drained or stopped, pipelines, versions,
 * configuration; see presenceKey) or the last announcement is older than
 * `presenceSec`, never more often. Presence
 * only informs people: a failed push is logged and work goes on.
 */
export class Presence {
  private tip: string | undefined;
  private last: PresenceRecord | undefined;
  private loaded = false;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly clone: CoordClone,
    private readonly workerId: string,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
  ) {}

  /** Queues an announcement; they run one at a time. */
  announce(state: PresenceState, intervalSec: number, force = false): Promise<void> {
    this.pending = this.pending.then(() => inPhase('presence', () => this.announceNow(state, intervalSec, force), () => 0)).catch((error) => {
      this.log(`presence not announced: ${(error as Error).message}`);
    });
    return this.pending;
  }

  /** Resolves once every queued announcement is done (a run that ends must not cut one off mid-push). */
  settled(): Promise<void> {
    return this.pending;
  }

  private async announceNow(state: PresenceState, intervalSec: number, force: boolean): Promise<void> {
    if (!this.loaded) await this.loadLocal();
    const now = this.clock.now();
    const changed = !this.last || presenceKey(this.last) !== presenceKey(state);
    const due = !this.last || now - Date.parse(this.last.at) >= intervalSec * 1000;
    if (!force && !changed && !due) return;
    for (let round = 0; round < 2; round++) {
      const restart = (this.last?.seq ?? 0) >= PRESENCE_CHAIN_MAX;
      if (restart && this.tip) {
        const deleted = await this.clone.push([{ ref: workerRef(this.workerId), newOid: null, expect: this.tip }]);
        if (deleted.won) this.tip = undefined;
      }
      const record: PresenceRecord = { version: 1, ...state, at: isoOf(now), seq: restart || !this.tip ? 1 : (this.last?.seq ?? 0) + 1 };
      const oid = await writeRecord(this.clone.gitdir, PRESENCE, record, {
        parents: this.tip ? [this.tip] : [],
        author: signatureFor('worker', this.workerId, now),
      });
      const pushed = await this.clone.push([{ ref: workerRef(this.workerId), newOid: oid, expect: this.tip ?? null }]);
      if (pushed.won) {
        this.tip = oid;
        this.last = record;
        return;
      }
      if (pushed.outcome === 'failed') {
        // Refused by the repository or not delivered: no other writer moved the ref, so looking again would not help.
        this.log(`presence not announced: ${pushed.cause}`);
        return;
      }
      // Our idea of the tip was wrong (a fresh state folder, or the ref was deleted by hand): look, then try once more.
      await this.loadRemote();
    }
    this.log(`presence not announced: ${workerRef(this.workerId)} moved under us twice (is another worker using the id ${this.workerId}?)`);
  }

  /** The last announcement this state folder made: it says when the next one is due. */
  private async loadLocal(): Promise<void> {
    this.loaded = true;
    this.tip = await this.clone.ref(workerRef(this.workerId));
    this.last = this.tip ? await this.readRecord(this.tip) : undefined;
  }

  private async loadRemote(): Promise<void> {
    const ref = workerRef(this.workerId);
    const oid = (await this.clone.remoteTips([ref])).get(ref);
    if (!oid) {
      this.tip = undefined;
      this.last = undefined;
      return;
    }
    await this.clone.fetch([`+${ref}:${ref}`]);
    this.tip = oid;
    this.last = await this.readRecord(oid);
  }

  private readRecord(oid: string): Promise<PresenceRecord | undefined> {
    return readRecord(this.clone.gitdir, PRESENCE, oid);
  }
}

/** Every worker's latest presence in a mirror that fetched `refs/ci/workers/*`. */
export async function readPresences(clone: CoordClone): Promise<{ worker: string; record?: PresenceRecord; problem?: string }[]> {
  const refs = [...(await clone.refs(WORKERS_PREFIX))];
  const records = await readRecords(clone.gitdir, PRESENCE, refs.map(([, oid]) => oid));
  return refs.map(([ref, oid]) => {
    const worker = ref.slice(WORKERS_PREFIX.length);
    const decoded = records.get(oid)!;
    return decoded.ok ? { worker, record: decoded.value } : { worker, problem: decoded.reason };
  });
}

/**
 * The workers that seem active, for spreading claims (protocol/spread.ts):
 * their presence says idle or running, and its tip moved within `windowMs` on
 * this host's own clock (a worker renews it at least every presenceSec while
 * it runs; one that died stops moving it). Records are read once per commit.
 */
export class PresenceView {
  private readonly records = new Map<string, PresenceRecord | undefined>();
  private seen = new Map<string, { tip: string; sinceMs: number }>();

  constructor(private readonly clone: CoordClone) {}

  async active(nowMs: number, windowMs: number): Promise<{ id: string; pipelines: string[] }[]> {
    const refs = [...(await this.clone.refs(WORKERS_PREFIX))];
    const unread = refs.map(([, oid]) => oid).filter((oid) => !this.records.has(oid));
    if (unread.length > 0) {
      for (const [oid, decoded] of await readRecords(this.clone.gitdir, PRESENCE, unread)) this.records.set(oid, decoded.ok ? decoded.value : undefined);
    }
    const seen = new Map<string, { tip: string; sinceMs: number }>();
    const active: { id: string; pipelines: string[] }[] = [];
    for (const [ref, oid] of refs) {
      const worker = ref.slice(WORKERS_PREFIX.length);
      const before = this.seen.get(worker);
      const since = before && before.tip === oid ? before : { tip: oid, sinceMs: nowMs };
      seen.set(worker, since);
      const record = this.records.get(oid);
      if (record && (record.state === 'idle' || record.state === 'running') && nowMs - since.sinceMs < windowMs) active.push({ id: worker, pipelines: record.pipelines });
    }
    this.seen = seen;
    // Only the records of current tips are kept.
    const tips = new Set(refs.map(([, oid]) => oid));
    for (const oid of this.records.keys()) if (!tips.has(oid)) this.records.delete(oid);
    return active;
  }
}

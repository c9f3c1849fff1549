import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../coord/state-file.ts';
import type { BaseScanKey } from './base-scan-key.ts';

/**
 * Scans of the base tree kept by a worker between jobs (`<state>/base-scan-cache/`),
 * so that a later job with the same key (base-scan-key.ts) takes the output
 * instead of scanning the same base again. Only the worker process reads and
 * writes it: no sandboxed step sees the state folder.
 *
 * One file per key, named by its sha256, written whole under a temporary name
 * and renamed; no index, so two workers sharing a state folder can only lose
 * an entry, never mix two. A file's first line is a JSON header (the key
 * itself, the job that ran the scan, the size and sha256 of the rest), then
 * the runs' logs and the output. A file that is unreadable, cut short, of
 * another key or whose bytes do not match its digest is a miss and is
 * removed. The modification time is the last use: the least recently used
 * files go first once there are more than `maxEntries` or more than `maxMB`.
 */
const FORMAT = 'refci-base-scan-entry/1';

export interface CachedRun {
  /** The run's name in the result (`scan-base`, or `scan-base-2` for a step run once per list). */
  name: string;
  exitCode: number;
  log: Buffer;
}

export interface CachedScan {
  /** The job whose run made the entry. */
  job: string;
  /** When that run ended (ISO 8601). */
  at: string;
  runs: CachedRun[];
  /** The step's output artifact: every run's standard output, in order. */
  output: Buffer;
}

export interface CacheBounds {
  maxEntries: number;
  maxMB: number;
}

interface Header {
  format: string;
  key: string;
  job: string;
  at: string;
  runs: Array<{ name: string; exitCode: number; logBytes: number }>;
  outputBytes: number;
  sha256: string;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export class BaseScanCache {
  constructor(readonly dir: string) {}

  private fileOf(key: BaseScanKey): string {
    return path.join(this.dir, `${key.id}.entry`);
  }

  /** The entry for `key`, or undefined; a hit counts as a use at `nowMs`. Never throws. */
  get(key: BaseScanKey, nowMs: number): CachedScan | undefined {
    const file = this.fileOf(key);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      return undefined;
    }
    const entry = decode(bytes, key);
    if (!entry) {
      fs.rmSync(file, { force: true });
      return undefined;
    }
    try {
      fs.utimesSync(file, new Date(nowMs), new Date(nowMs));
    } catch {
      // Removed meanwhile by another worker's eviction: the entry read is still whole.
    }
    return entry;
  }

  /** Keeps `scan` under `key`, then removes the least recently used entries past the bounds. */
  /** Whether it was kept: an entry larger than `maxMB` alone is not. */
  put(key: BaseScanKey, scan: CachedScan, bounds: CacheBounds, nowMs: number): boolean {
    const bytes = encode(key, scan);
    if (bytes.length > bounds.maxMB * 1024 * 1024) return false;
    const file = this.fileOf(key);
    writeFileAtomically(file, bytes, 0o600);
    fs.utimesSync(file, new Date(nowMs), new Date(nowMs));
    this.evict(bounds);
    return true;
  }

  /** Entries, least recently used first. */
  entries(): Array<{ file: string; bytes: number; usedMs: number }> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: Array<{ file: string; bytes: number; usedMs: number }> = [];
    for (const name of names) {
      if (!name.endsWith('.entry')) continue;
      const file = path.join(this.dir, name);
      try {
        const stat = fs.statSync(file);
        out.push({ file, bytes: stat.size, usedMs: stat.mtimeMs });
      } catch {
        // Gone meanwhile.
      }
    }
    return out.sort((a, b) => a.usedMs - b.usedMs || (a.file < b.file ? -1 : 1));
  }

  private evict(bounds: CacheBounds): void {
    const entries = this.entries();
    let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    let count = entries.length;
    for (const entry of entries) {
      if (count <= bounds.maxEntries && total <= bounds.maxMB * 1024 * 1024) break;
      fs.rmSync(entry.file, { force: true });
      count -= 1;
      total -= entry.bytes;
    }
  }
}

function encode(key: BaseScanKey, scan: CachedScan): Buffer {
  const body = Buffer.concat([...scan.runs.map((run) => run.log), scan.output]);
  const header: Header = {
    format: FORMAT,
    key: key.text,
    job: scan.job,
    at: scan.at,
    runs: scan.runs.map((run) => ({ name: run.name, exitCode: run.exitCode, logBytes: run.log.length })),
    outputBytes: scan.output.length,
    sha256: sha256(body),
  };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]);
}

/** The entry in `bytes` when it is whole and of `key`; undefined otherwise. */
function decode(bytes: Buffer, key: BaseScanKey): CachedScan | undefined {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) return undefined;
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Header;
  } catch {
    return undefined;
  }
  if (!header || header.format !== FORMAT || header.key !== key.text) return undefined;
  if (typeof header.job !== 'string' || typeof header.at !== 'string' || !Array.isArray(header.runs) || header.runs.length === 0) return undefined;
  const sizes = [...header.runs.map((run) => run?.logBytes), header.outputBytes];
  if (!sizes.every((size) => Number.isSafeInteger(size) && size >= 0)) return undefined;
  const body = bytes.subarray(newline + 1);
  if (body.length !== sizes.reduce((sum, size) => sum + size, 0) || sha256(body) !== header.sha256) return undefined;
  let offset = 0;
  const runs: CachedRun[] = [];
  for (const run of header.runs) {
    if (typeof run.name !== 'string' || !Number.isInteger(run.exitCode)) return undefined;
    runs.push({ name: run.name, exitCode: run.exitCode, log: Buffer.from(body.subarray(offset, offset + run.logBytes)) });
    offset += run.logBytes;
  }
  return { job: header.job, at: header.at, runs, output: Buffer.from(body.subarray(offset)) };
}

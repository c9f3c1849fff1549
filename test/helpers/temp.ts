import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { git } from '../../src/git/runner.ts';

/** A temp folder removed when the test ends. */
export function tempDir(t: ExecutionContext, prefix = 'refci-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function bareRepo(t: ExecutionContext, name = 'coord.git'): Promise<string> {
  const dir = path.join(tempDir(t), name);
  await git(['init', '--quiet', '--bare', dir]);
  return dir;
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(private ms = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/root.ts';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'pkgcheck');

export function fixture(...parts: string[]): string {
  return fs.readFileSync(path.join(FIXTURES, ...parts), 'utf8');
}

export function fixtureJson(...parts: string[]): unknown {
  return JSON.parse(fixture(...parts));
}

export function expectedJsonStreamFiles(): string[] {
  return fs.readdirSync(path.join(FIXTURES, 'expected-jsonstream')).filter((f) => f.endsWith('.jsonl')).sort();
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'pkgcheck');

export function fixture(...parts: string[]): string {
  return fs.readFileSync(path.join(FIXTURES, ...parts), 'utf8');
}

export function fixtureJson(...parts: string[]): unknown {
  return JSON.parse(fixture(...parts));
}

export function expectedJsonStreamFiles(): string[] {
  return fs.readdirSync(path.join(FIXTURES, 'expected-jsonstream')).filter((f) => f.endsWith('.jsonl')).sort();
}

// The base-scan cache's store and key, without git: entries round-trip, a
// damaged entry is a miss, the least recently used go first past the bounds.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { defaultConfig } from '../../src/config/defaults.ts';
import { checkConfigText } from '../../src/config/schema.ts';
import type { StepConfig } from '../../src/config/types.ts';
import { BaseScanCache, type CachedScan } from '../../src/run/base-scan-cache.ts';
import { baseScanKey, configDigest, notReusable, type BaseScanKeyInput } from '../../src/run/base-scan-key.ts';
import { tempDir } from '../helpers/temp.ts';

const step: StepConfig = { name: 'scan-base', tree: 'base', run: ['pkgcheck', 'scan', '{targets}'], timeoutSec: 60, stdoutArtifact: 'outputs/base.jsonl', sandbox: true };
const input: BaseScanKeyInput = {
  repo: 'https://example.org/gentoo.git',
  basis: 'a'.repeat(40),
  pipeline: 'gentoo',
  step,
  targets: [['app-misc/hello'], ['*/*', '-s', 'repo']],
  values: { jobs: '2', base: 'a'.repeat(40), head: 'b'.repeat(40), jobId: 'job-1', workdir: '/w/1/merged', basedir: '/w/1/base', outdir: '/tmp/o1' },
  sandboxed: [true, true],
  tools: { pkgcheck: 'pkgcheck 0.10.41', pmaint: 'pmaint 0.12' },
  config: 'c'.repeat(40),
};
const key = (over: Partial<BaseScanKeyInput> = {}) => baseScanKey({ ...input, ...over });
const scan = (job: string, output = `{"job":"${job}"}\n`): CachedScan => ({
  job,
  at: '2026-01-01T00:00:00.000Z',
  runs: [
    { name: 'scan-base-1', exitCode: 0, log: Buffer.from('scanned 1\n') },
    { name: 'scan-base-2', exitCode: 1, log: Buffer.from('') },
  ],
  output: Buffer.from(output),
});
const bounds = { maxEntries: 10, maxMB: 1 };

test('the key changes with every part it is made of, and not with what differs from job to job', (t) => {
  const ids = new Set([
    key().id,
    key({ basis: 'd'.repeat(40) }).id,
    key({ targets: [['app-misc/hello', 'app-misc/world'], ['*/*', '-s', 'repo']] }).id,
    key({ targets: [['app-misc/hello']] }).id,
    key({ tools: { ...input.tools, pkgcheck: 'pkgcheck 0.10.42' } }).id,
    key({ config: 'e'.repeat(40) }).id,
    key({ step: { ...step, run: ['pkgcheck', 'scan', '-k', 'Foo', '{targets}'] } }).id,
    key({ step: { ...step, env: { X: '1' } } }).id,
    key({ sandboxed: [true, false] }).id,
    key({ repo: 'https://example.org/overlay.git' }).id,
    key({ pipeline: 'other' }).id,
  ]);
  t.is(ids.size, 11);
  // Another job's folders, head and id: the same key (the step uses none of them).
  const other = { ...input.values, head: 'f'.repeat(40), jobId: 'job-2', workdir: '/w/2/merged', basedir: '/w/2/base', outdir: '/tmp/o2' };
  t.is(key({ values: other }).id, key().id);
  t.is(key({ repo: 'https://example.org/gentoo' }).id, key().id, 'one repository however its URL is spelled');
  t.is(key({ tools: { pmaint: 'pmaint 0.12', pkgcheck: 'pkgcheck 0.10.41' } }).id, key().id, 'key order does not matter');
  t.regex(configDigest({ a: 1 }), /^local:[0-9a-f]{64}$/);
  t.is(configDigest({ a: 1, b: 2 }), configDigest({ b: 2, a: 1 }));
});

test('a step that reads the merged tree, the PR head, the job id or its scratch folder is never reused', (t) => {
  t.is(notReusable(step), undefined);
  t.is(notReusable({ ...step, run: ['pkgcheck', 'scan', '--repo', '{basedir}', '-j', '{jobs}', '{targets}'] }), undefined);
  t.is(notReusable({ ...step, run: ['tool', '{head}', '--out={outdir}/x', '{targets}'] }), 'step scan-base uses {outdir}, {head}, which differ from job to job');
  t.truthy(notReusable({ ...step, run: ['tool', '{workdir}', '{targets}'] }));
  t.truthy(notReusable({ ...step, run: ['tool', 'job-{jobId}', '{targets}'] }));
});

test('an entry round-trips; another key, a missing file and a damaged file are misses and a damaged one is removed', (t) => {
  const cache = new BaseScanCache(path.join(tempDir(t), 'cache'));
  t.is(cache.get(key(), 1000), undefined, 'no folder yet');
  t.true(cache.put(key(), scan('job-1'), bounds, 1000));
  t.deepEqual(cache.get(key(), 2000), scan('job-1'));
  t.is(cache.get(key({ basis: 'd'.repeat(40) }), 2000), undefined);
  const [file] = cache.entries().map((e) => e.file);
  t.is(fs.statSync(file).mode & 0o777, 0o600, 'readable by the worker only');
  const good = fs.readFileSync(file);

  const damage: Record<string, Buffer> = {
    'cut short': good.subarray(0, good.length - 3),
    'a byte changed': Buffer.concat([good.subarray(0, good.length - 2), Buffer.from('X'), good.subarray(good.length - 1)]),
    'longer': Buffer.concat([good, Buffer.from('more')]),
    'no header': Buffer.from('garbage'),
    'not JSON': Buffer.from('{"format":\nrest'),
    empty: Buffer.alloc(0),
    // Whole and consistent, but written for another key under this key's name.
    'another key': fs.readFileSync((() => {
      const other = new BaseScanCache(path.join(tempDir(t), 'other'));
      other.put(key({ tools: {} }), scan('job-9'), bounds, 1000);
      return other.entries()[0].file;
    })()),
  };
  for (const [what, bytes] of Object.entries(damage)) {
    fs.writeFileSync(file, bytes);
    t.is(cache.get(key(), 3000), undefined, what);
    t.false(fs.existsSync(file), `${what}: removed`);
  }
  fs.writeFileSync(file, good);
  t.deepEqual(cache.get(key(), 3000)?.output, scan('job-1').output);
});

test('past maxEntries the least recently used entry goes; a hit counts as a use', (t) => {
  const cache = new BaseScanCache(path.join(tempDir(t), 'cache'));
  const keys = ['1', '2', '3', '4'].map((n) => key({ basis: n.repeat(40) }));
  const small = { maxEntries: 2, maxMB: 1 };
  cache.put(keys[0], scan('job-1'), small, 1_000_000);
  cache.put(keys[1], scan('job-2'), small, 2_000_000);
  t.truthy(cache.get(keys[0], 3_000_000), 'job-1 used after job-2 was stored');
  cache.put(keys[2], scan('job-3'), small, 4_000_000);
  t.is(cache.entries().length, 2);
  t.is(cache.get(keys[1], 5_000_000), undefined, 'job-2 was the least recently used');
  t.truthy(cache.get(keys[0], 6_000_000));
  t.truthy(cache.get(keys[2], 7_000_000));
  cache.put(keys[3], scan('job-4'), small, 8_000_000);
  t.is(cache.get(keys[0], 9_000_000), undefined);
  t.deepEqual([keys[2], keys[3]].map((k) => cache.get(k, 10_000_000)?.job), ['job-3', 'job-4']);
});

test('past maxMB the least recently used entries go; an entry larger than the bound alone is not kept', (t) => {
  const cache = new BaseScanCache(path.join(tempDir(t), 'cache'));
  const mb = { maxEntries: 100, maxMB: 1 };
  const big = (job: string) => scan(job, 'x'.repeat(400 * 1024));
  const keys = ['1', '2', '3'].map((n) => key({ basis: n.repeat(40) }));
  cache.put(keys[0], big('job-1'), mb, 1_000_000);
  cache.put(keys[1], big('job-2'), mb, 2_000_000);
  cache.put(keys[2], big('job-3'), mb, 3_000_000);
  t.deepEqual(keys.map((k) => cache.get(k, 4_000_000)?.job), [undefined, 'job-2', 'job-3']);
  t.false(cache.put(key({ basis: '9'.repeat(40) }), scan('job-9', 'x'.repeat(1024 * 1024)), mb, 5_000_000));
  t.is(cache.entries().length, 2, 'the others stay');
  t.deepEqual(fs.readdirSync(cache.dir).filter((name) => name.includes('.tmp')), [], 'no temporary file left');
});

test('configuration: gentoo.baseScanCache defaults, a partial setting and values out of range', (t) => {
  t.deepEqual(defaultConfig().gentoo.baseScanCache, { enabled: true, maxEntries: 200, maxMB: 256 });
  const partial = checkConfigText(JSON.stringify({ gentoo: { baseScanCache: { enabled: false } } }));
  t.true(partial.ok);
  if (partial.ok) t.deepEqual(partial.config.gentoo.baseScanCache, { enabled: false, maxEntries: 200, maxMB: 256 });
  const other = checkConfigText(JSON.stringify({ gentoo: { countWarnings: true } }));
  if (other.ok) t.deepEqual(other.config.gentoo.baseScanCache, { enabled: true, maxEntries: 200, maxMB: 256 });
  const bad = checkConfigText(JSON.stringify({ gentoo: { baseScanCache: { maxEntries: 0, maxMb: 5 } } }));
  t.false(bad.ok);
  if (!bad.ok) t.deepEqual(bad.problems.map((p) => p.field).sort(), ['gentoo.baseScanCache.maxEntries', 'gentoo.baseScanCache.maxMb']);
});

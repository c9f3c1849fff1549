import test from 'ava';
import { CappedBuffer } from '../../src/host/capped-buffer.ts';

const KiB = 1024;

test('under the cap, everything is kept as it came, however it was chunked', (t) => {
  const buffer = new CappedBuffer(10);
  for (const part of ['ab', 'cdefg', '', 'hij']) buffer.push(Buffer.from(part));
  t.false(buffer.truncated);
  t.is(buffer.total, 10);
  t.is(buffer.contents().toString(), 'abcdefghij');
});

test('over the cap, the first and last halves are kept around one marker line', (t) => {
  const buffer = new CappedBuffer(8);
  for (const part of ['012', '3456789', 'abc', 'def']) buffer.push(Buffer.from(part));
  t.true(buffer.truncated);
  t.is(buffer.total, 16);
  t.is(buffer.cut, 8);
  t.is(buffer.contents().toString(), '0123\n[refci: ... 8 of 16 bytes cut ...]\ncdef');
});

test('a 300 KiB log under the 256 KiB cap keeps its first and its last line', (t) => {
  const lines = Array.from({ length: 300 }, (_, i) => `line ${String(i).padStart(4, '0')} ${'x'.repeat(KiB - 11)}\n`);
  lines[0] = `>>> Regenerating metadata ${'.'.repeat(KiB - 27)}\n`;
  lines[299] = `!!! dev-util/buildkit-3.2: die "regen-failure" ${'.'.repeat(KiB - 48)}\n`;
  const buffer = new CappedBuffer(256 * KiB);
  // Pipes deliver 64 KiB chunks or less.
  const all = Buffer.from(lines.join(''));
  for (let at = 0; at < all.length; at += 65_536) buffer.push(all.subarray(at, at + 65_536));
  t.is(all.length, 300 * KiB);
  t.true(buffer.truncated);
  const text = buffer.contents().toString();
  t.true(text.startsWith('>>> Regenerating metadata'));
  t.true(text.trimEnd().split('\n').at(-1)!.startsWith('!!! dev-util/buildkit-3.2: die "regen-failure"'), 'the last line survives');
  t.regex(text, new RegExp(`\\n\\[refci: \\.\\.\\. ${44 * KiB} of ${300 * KiB} bytes cut \\.\\.\\.\\]\\n`));
  t.is(text.length, 256 * KiB + text.match(/\n\[refci:[^\n]*\]\n/)![0].length);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import test from 'ava';
import { RefciError } from '../../src/errors.ts';
import { classify } from '../../src/forge/retry.ts';
import { cutDescription, linkNext, reportMarker, sameBody, trailingNumber, withMarker } from '../../src/forge/text.ts';
import { ForgeToken, resolveToken, scrub } from '../../src/forge/token.ts';

test('cutDescription keeps short text and cuts long text to 140 UTF-16 units at a grapheme boundary', (t) => {
  t.is(cutDescription('  3 warnings,\n 1 error  '), '3 warnings, 1 error');
  t.is(cutDescription('x'.repeat(140)), 'x'.repeat(140));
  const cut = cutDescription('x'.repeat(141));
  t.is(cut, `${'x'.repeat(139)}…`);
  t.is(cut.length, 140);

  // A family emoji is 11 UTF-16 units and 7 code points: never split.
  const family = '👨‍👩‍👧‍👦';
  for (let pad = 125; pad < 140; pad++) {
    const text = `${'a'.repeat(pad)}${family}${'b'.repeat(20)}`;
    const out = cutDescription(text);
    t.true(out.length <= 140, `pad ${pad}`);
    t.true([...out].length <= 140);
    t.true(out.endsWith('…'));
    const kept = out.slice(0, -1);
    t.true(kept === 'a'.repeat(pad) || kept.startsWith(`${'a'.repeat(pad)}${family}`), `pad ${pad}: ${kept.slice(pad)}`);
    t.false(/[\uD800-\uDBFF]$/.test(kept), 'no lone high surrogate');
  }
  // Combining marks stay with their letter.
  const accents = 'e\u0301'.repeat(100);
  const out = cutDescription(accents);
  t.true(out.length <= 140);
  t.is(out.replace('…', '').length % 2, 0);
});

test('report marker, body helpers, Link and URL parsing', (t) => {
  t.is(reportMarker('refci/pkgcheck'), '<!-- refci:report refci/pkgcheck -->');
  t.is(reportMarker('a-->b\n<c>'), '<!-- refci:report a-bc -->', 'cannot close the HTML comment early');
  const marker = reportMarker('refci');
  t.is(withMarker(marker, 'body'), `${marker}\nbody`);
  t.is(withMarker(marker, `x\n${marker}\ny`), `x\n${marker}\ny`);
  t.true(sameBody('a\r\nb\n', 'a\nb'));
  t.false(sameBody('a', 'b'));
  t.is(linkNext('<https://x/?page=2>; rel="next", <https://x/?page=5>; rel="last"'), 'https://x/?page=2');
  t.is(linkNext('<https://x/?page=1>; rel="first", <https://x/?page=1>; rel="prev"'), undefined);
  t.is(linkNext(null), undefined);
  t.is(trailingNumber('https://api.github.com/repos/o/r/issues/12'), 12);
  t.is(trailingNumber('https://github.com/o/r/pull/12#issuecomment-99'), 12);
  t.is(trailingNumber(''), undefined);
});

test('classify: rate limits, server errors, the rest', (t) => {
  const now = Date.parse('2025-03-01T10:00:00Z');
  const reset = String(now / 1000 + 60);
  t.deepEqual(classify({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, message: '' }, now), { kind: 'rate-limit', waitMs: 61_000, resetAt: now + 61_000 });
  t.deepEqual(classify({ status: 429, headers: { 'retry-after': '7' }, message: '' }, now), { kind: 'rate-limit', waitMs: 7000, resetAt: now + 7000 });
  t.deepEqual(classify({ status: 429, headers: { 'retry-after': 'Sat, 01 Mar 2025 10:00:30 GMT' }, message: '' }, now), { kind: 'rate-limit', waitMs: 30_000, resetAt: now + 30_000 });
  t.like(classify({ status: 403, headers: { 'x-ratelimit-remaining': '12' }, message: 'Resource not accessible' }, now), { kind: 'fatal' });
  t.like(classify({ status: 500, headers: {}, message: '' }, now), { kind: 'server' });
  t.deepEqual(classify({ status: 503, headers: { 'retry-after': '5' }, message: '' }, now), { kind: 'server', waitMs: 5000 });
  t.like(classify({ status: 0, headers: {}, message: 'ECONNRESET' }, now), { kind: 'server' });
  t.like(classify({ status: 404, headers: {}, message: '' }, now), { kind: 'fatal' });
});

test('resolveToken reads the environment, or a token file first', async (t) => {
  const gh = await resolveToken({ forge: 'github', env: { GITHUB_TOKEN: ' ghp_abc123 \n' } });
  t.is(gh.reveal(), 'ghp_abc123');
  t.is(gh.source, 'GITHUB_TOKEN');
  const cb = await resolveToken({ forge: 'codeberg', env: { CODEBERG_TOKEN: 'cb_secret', GITHUB_TOKEN: 'other' } });
  t.is(cb.reveal(), 'cb_secret');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-token-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'token');
  fs.writeFileSync(file, 'file_token_value\n', { mode: 0o600 });
  const fromFile = await resolveToken({ forge: 'github', env: { GITHUB_TOKEN: 'env_value' }, tokenFile: file });
  t.is(fromFile.reveal(), 'file_token_value');
  t.is(fromFile.source, `token file ${file}`);
});

test('resolveToken errors name where it looked, never the token', async (t) => {
  const missing = await t.throwsAsync(resolveToken({ forge: 'codeberg', env: {} }), { instanceOf: RefciError });
  t.is(missing.code, 'usage');
  t.is(missing.message, 'no Codeberg token: CODEBERG_TOKEN is not set and no token file was given');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-token-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const absent = await t.throwsAsync(resolveToken({ forge: 'github', tokenFile: path.join(dir, 'nope') }), { instanceOf: RefciError });
  t.regex(absent.message, /GitHub token file .*nope cannot be read \(ENOENT\)/);

  const two = path.join(dir, 'two');
  fs.writeFileSync(two, 'secret_one secret_two\n');
  const twoWords = await t.throwsAsync(resolveToken({ forge: 'github', tokenFile: two }), { instanceOf: RefciError });
  t.false(twoWords.message.includes('secret_one'));
  t.false((twoWords.hint ?? '').includes('secret_one'));

  const spaced = await t.throwsAsync(resolveToken({ forge: 'github', env: { GITHUB_TOKEN: 'secret_one secret_two' } }), { instanceOf: RefciError });
  t.false(spaced.message.includes('secret_one'));
});

test('a ForgeToken does not print itself', (t) => {
  const token = new ForgeToken('ghp_very_secret_value', 'GITHUB_TOKEN');
  t.is(String(token), '[redacted]');
  t.is(`${token}`, '[redacted]');
  t.is(JSON.stringify({ token }), '{"token":"[redacted]"}');
  t.false(inspect(token).includes('very_secret'));
  t.false(inspect({ nested: { token } }, { depth: 5 }).includes('very_secret'));
});

test('scrub removes the secret and its URL-encoded form', (t) => {
  t.is(scrub('a tok+en/1 b tok%2Ben%2F1 c', ['tok+en/1']), 'a [redacted] b [redacted] c');
  t.is(scrub('abc', ['a']), 'abc', 'too short to be a token');
});

test('resolveToken: without the variable or a named file, ~/.config/refci/<forge>-token (the documented place)', async (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-home-'));
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const missing = await t.throwsAsync(resolveToken({ forge: 'github', env: { HOME: home } }), { instanceOf: RefciError });
  t.is(missing.message, `no GitHub token: GITHUB_TOKEN is not set, no token file was given and ${path.join(home, '.config', 'refci', 'github-token')} does not exist`);
  fs.mkdirSync(path.join(home, '.config', 'refci'), { recursive: true });
  fs.writeFileSync(path.join(home, '.config', 'refci', 'github-token'), 'from_the_default_file\n', { mode: 0o600 });
  const token = await resolveToken({ forge: 'github', env: { HOME: home } });
  t.is(token.reveal(), 'from_the_default_file');
  t.is((await resolveToken({ forge: 'github', env: { HOME: home, GITHUB_TOKEN: 'from_the_variable' } })).reveal(), 'from_the_variable', 'the variable wins');
});

import test from 'ava';
import { scrubBytes, scrubSecrets, SecretScrubber } from '../../src/protocol/scrub.ts';

// Fake secrets in the shapes of real ones; nothing here was ever a credential.
const CLASSIC = `ghp_${'A1b2C3d4E5'.repeat(3)}x9Y8Z7`;
const FINE_GRAINED = `github_pat_11ABCDEFG0${'abcdEFGH12'.repeat(8)}`;

test('GitHub tokens of every kind lose everything but the prefix that says what they were', (t) => {
  t.is(scrubSecrets(`token=${CLASSIC} end`), 'token=ghp_[redacted] end');
  t.is(scrubSecrets(FINE_GRAINED), 'github_pat_[redacted]');
  for (const prefix of ['gho_', 'ghs_', 'ghu_', 'ghr_']) {
    t.is(scrubSecrets(`x ${prefix}${'Z'.repeat(36)}`), `x ${prefix}[redacted]`);
  }
  t.is(scrubSecrets(`"${CLASSIC}","${CLASSIC}"`), '"ghp_[redacted]","ghp_[redacted]"');
});

test('Authorization values and bearer tokens are redacted in header dumps, JSON and plain text', (t) => {
  t.is(scrubSecrets('> Authorization: token abc123\r\n> Accept: */*'), '> Authorization: [redacted]\r\n> Accept: */*');
  t.is(scrubSecrets('authorization: Basic dXNlcjpwYXNz'), 'authorization: [redacted]');
  t.is(scrubSecrets('Proxy-Authorization: Basic dXNlcjpwYXNz'), 'Proxy-Authorization: [redacted]');
  t.is(scrubSecrets('{"Authorization": "Bearer eyJhbGciOi.J9.x", "a": 1}'), '{"Authorization": "[redacted]", "a": 1}');
  t.is(scrubSecrets('http.extraheader=AUTHORIZATION: bearer q'), 'http.extraheader=AUTHORIZATION: [redacted]');
  t.is(scrubSecrets('sending Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig now'), 'sending Bearer [redacted] now');
});

test('URL credentials lose the password and keep the user and host', (t) => {
  t.is(scrubSecrets('fetching https://user:s3cret@example.org/r.git'), 'fetching https://user:[redacted]@example.org/r.git');
  t.is(scrubSecrets('https://x-access-token:abc@github.com/o/r'), 'https://x-access-token:[redacted]@github.com/o/r');
  t.is(scrubSecrets('git+ssh://:pw@h/x'), 'git+ssh://:[redacted]@h/x');
});

test('ordinary output is left exactly as it was', (t) => {
  const lines = [
    'ssh://git@example.org/r.git and https://example.org:8443/path?a=b@c',
    'the bearer of this letter; bearer authentication',
    'ghp_short and gh_notatoken_1234567890123456789',
    'dev-libs/foo-1.0: UnquotedVariable: unquoted variable D on line 7',
    'https://example.org/a:b/c@d',
    '',
  ];
  for (const line of lines) t.is(scrubSecrets(line), line);
});

test('bytes that are not UTF-8 survive scrubbing byte for byte', (t) => {
  const bytes = Buffer.concat([Buffer.from([0xff, 0x00, 0xc3, 0x28, 0xa0]), Buffer.from(` ${CLASSIC} `), Buffer.from('é\n')]);
  const scrubbed = scrubBytes(bytes);
  t.deepEqual(scrubbed.subarray(0, 5), Buffer.from([0xff, 0x00, 0xc3, 0x28, 0xa0]));
  t.is(scrubbed.subarray(5).toString('utf8'), ' ghp_[redacted] é\n');
  const plain = Buffer.from([1, 2, 3, 0xfe]);
  t.deepEqual(scrubBytes(plain), plain);
});

test('the stream scrubber catches a token split between chunks and holds only the open line', (t) => {
  const scrubber = new SecretScrubber();
  const text = `one\nclone https://me:${'p'.repeat(20)}@h/r with ${CLASSIC}\r50%\rdone`;
  const out: Buffer[] = [];
  // Every possible chunking of a pipe: here, one byte at a time.
  for (const byte of Buffer.from(text)) out.push(scrubber.push(Buffer.from([byte])));
  t.is(Buffer.concat(out).toString(), 'one\nclone https://me:[redacted]@h/r with ghp_[redacted]\r50%\r');
  t.is(scrubber.end().toString(), 'done');
  t.is(scrubber.end().length, 0);
});

test('a line longer than the scrubber holds is passed on in pieces cut at spaces, never inside a secret or after its header name', (t) => {
  const scrubber = new SecretScrubber(64);
  const first = scrubber.push(Buffer.from(`${'word '.repeat(12)}Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789`));
  const rest = scrubber.push(Buffer.from(` and ${CLASSIC}\n`));
  const all = `${first.toString()}${rest.toString()}`;
  t.true(first.length > 0, 'the long line was not held whole');
  // The header's value runs to the end of its line.
  t.is(all, `${'word '.repeat(12)}Authorization: [redacted]\n`);
  t.false(all.includes('abcdefghijklmnop'));
});

test('a line without any space is passed on once it is too long to hold, so memory stays bounded', (t) => {
  const scrubber = new SecretScrubber(64);
  t.is(scrubber.push(Buffer.from('x'.repeat(40))).length, 0);
  t.is(scrubber.push(Buffer.from('y'.repeat(40))).toString(), `${'x'.repeat(40)}${'y'.repeat(40)}`);
  t.is(scrubber.end().length, 0);
});

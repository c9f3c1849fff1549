/**
 * The pure parts of signed results: allowed_signers lines, public keys, a
 * signed commit split the way git verifies it, and the rule that decides
 * which signature checks a result needs (docs/protocol.md 2.9). No git, no
 * ssh-keygen: test/collect/signed-results.test.ts runs the real thing.
 */
import test from 'ava';
import { parseAllowedSigners, withSigner, formatAllowedSigners, keysOf, type AllowedSigner } from '../../src/protocol/allowed-signers.ts';
import { checkKey, fingerprintOf, parsePublicKey, type PublicKey } from '../../src/protocol/public-key.ts';
import { signatureKind, signingKeyOf, splitSignedCommit } from '../../src/protocol/signed-commit.ts';
import { failedCheckReason, signaturePlan, type SignatureFacts } from '../../src/protocol/signature-rule.ts';
import type { LockRecord } from '../../src/protocol/lock.ts';
import { checkConfigText, describeProblems } from '../../src/config/schema.ts';
import { signingState } from '../../src/fleet/signing-gate.ts';
import { defaultConfig } from '../../src/config/defaults.ts';

// A real key and a real signature made with it (ssh-keygen -Y sign -n git), kept as text.
const KEY_LINE = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFUj/IYd1gc+l2BKau+E6+A82h78mTlRXqhRtUYkxeRv fixture';
const SIGNATURE = [
  '-----BEGIN SSH SIGNATURE-----',
  'U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgVSP8hh3WBz6XYEpq74Tr4DzaHv',
  'yZOVFeqFG1RiTF5G8AAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5',
  'AAAAQNovQt3lL8bXXUXyvDSI/+c2RVUecl7Tbu+xDa5bCmqcBOh69ZqFjDr7RWP85iz3Cp',
  'O3vReGFNN703rJ7Qq6KgA=',
  '-----END SSH SIGNATURE-----',
  '',
].join('\n');
const KEY = (parsePublicKey(KEY_LINE) as { ok: true; value: PublicKey }).value;
// Another valid ed25519 key: 32 other bytes behind the same type string.
const OTHER: PublicKey = { type: 'ssh-ed25519', blob: Buffer.concat([Buffer.from(KEY.blob, 'base64').subarray(0, 19), Buffer.alloc(32, 7)]).toString('base64') };

test('public keys: a .pub line is read; a damaged or mislabelled one is refused with the reason', (t) => {
  t.deepEqual(parsePublicKey(KEY_LINE), { ok: true, value: { type: 'ssh-ed25519', blob: KEY_LINE.split(' ')[1] } });
  t.is(fingerprintOf(KEY), 'SHA256:Wvzg3rmCbhCW8O0EsHR7SH/Nz9FZdKDU8xJYeqGM6Ek', 'as ssh-keygen -l prints it');
  t.like(parsePublicKey('-----BEGIN OPENSSH PRIVATE KEY-----'), { ok: false });
  t.like(checkKey('ssh-rsa', KEY.blob), { ok: false, reason: "the key's data is not a ssh-rsa key" });
  t.like(checkKey('ssh-ed25519', `${KEY.blob.slice(0, -4)}%%%%`), { ok: false, reason: 'the key is not valid base64' });
  t.like(checkKey('ssh-dss', KEY.blob), { ok: false });
});

test('allowed_signers: worker id and key a line, comments kept; lists, patterns, options and bad keys are refused by line', (t) => {
  const text = `# the fleet\nw1 ${KEY_LINE}\n\nw2 ${OTHER.type} ${OTHER.blob}\n`;
  const parsed = parseAllowedSigners(text);
  t.true(parsed.ok);
  if (!parsed.ok) return;
  t.deepEqual(parsed.signers.map((s) => s.worker), ['w1', 'w2']);
  t.deepEqual(keysOf(parsed.signers, 'w1'), [KEY]);
  t.is(formatAllowedSigners(parsed.signers), `w1 ssh-ed25519 ${KEY.blob}\nw2 ssh-ed25519 ${OTHER.blob}\n`);

  const bad = parseAllowedSigners(
    [`w1,w2 ${KEY_LINE}`, `* ${KEY_LINE}`, `w1 namespaces="git" ${KEY_LINE}`, `w1 ssh-ed25519 AAAA`, 'w1', `../x ${KEY_LINE}`].join('\n'),
  );
  t.false(bad.ok);
  if (bad.ok) return;
  t.deepEqual(
    bad.problems.map((p) => p.line),
    [1, 2, 3, 4, 5, 6],
  );
  t.regex(bad.problems[0]!.reason, /must be one worker id \(lists and patterns are not accepted\)/);
  t.regex(bad.problems[2]!.reason, /options such as "namespaces=\\"git\\"" are not accepted/);
  t.regex(bad.problems[3]!.reason, /not a ssh-ed25519 key|not valid base64/);
});

test('allowed_signers beside config.json is part of the configuration: a bad line refuses the whole commit, with file and line', (t) => {
  const good = checkConfigText('{}', { readFile: (name) => (name === 'allowed_signers' ? `w1 ${KEY_LINE}\n` : undefined) });
  t.true(good.ok);
  if (good.ok) t.deepEqual(good.config.allowedSigners, [{ worker: 'w1', key: KEY }]);
  const none = checkConfigText('{"requireSignatures": true}');
  t.true(none.ok);
  if (none.ok) {
    t.is(none.config.allowedSigners, undefined);
    t.true(none.config.requireSignatures);
  }
  t.false(defaultConfig().requireSignatures);
  const bad = checkConfigText('{}', { readFile: (name) => (name === 'allowed_signers' ? `w1 ${KEY_LINE}\nw* ${KEY_LINE}\n` : undefined) });
  t.false(bad.ok);
  if (!bad.ok) t.is(describeProblems(bad.problems), 'allowed_signers line 2: "w*" must be one worker id (lists and patterns are not accepted)');
});

test('withSigner: adds a line and keeps the rest; the same key twice changes nothing; replace drops the worker\'s other keys only', (t) => {
  const start = `# keys\nw2 ${OTHER.type} ${OTHER.blob}\n`;
  const added = withSigner(start, 'w1', KEY, 'w1@host', false);
  t.deepEqual(added, { text: `# keys\nw2 ${OTHER.type} ${OTHER.blob}\nw1 ssh-ed25519 ${KEY.blob} w1@host\n`, changed: true });
  t.deepEqual(withSigner(added.text, 'w1', KEY, 'again', false), { text: added.text, changed: false });
  const second = withSigner(added.text, 'w1', OTHER, '', false);
  t.true(second.changed);
  t.is(keysOf((parseAllowedSigners(second.text) as { signers: AllowedSigner[] }).signers, 'w1').length, 2);
  const replaced = withSigner(second.text, 'w1', OTHER, '', true);
  t.deepEqual(replaced, { text: `# keys\nw2 ${OTHER.type} ${OTHER.blob}\nw1 ssh-ed25519 ${OTHER.blob}\n`, changed: true });
  t.deepEqual(withSigner('', 'w1', KEY, '', true), { text: `w1 ssh-ed25519 ${KEY.blob}\n`, changed: true });
});

const SIGNED_COMMIT = [
  'tree b75fa7b35b5a394eab85d30f3240f4f6405966ca',
  'parent 0123456789012345678901234567890123456789',
  'author refci worker w1 <w1@refci.invalid> 1700000000 +0000',
  'committer refci worker w1 <w1@refci.invalid> 1700000000 +0000',
  `gpgsig ${SIGNATURE.trimEnd().split('\n').join('\n ')}`,
  '',
  'result x: success by w1',
  '',
  'Refci-Kind: result',
  '',
].join('\n');

test('a signed commit splits into the payload git verifies (the commit without its gpgsig header) and the armored signature', (t) => {
  const split = splitSignedCommit(SIGNED_COMMIT);
  t.is(split.signature, SIGNATURE);
  t.deepEqual(split.parents, ['0123456789012345678901234567890123456789']);
  t.is(
    split.payload,
    'tree b75fa7b35b5a394eab85d30f3240f4f6405966ca\nparent 0123456789012345678901234567890123456789\n' +
      'author refci worker w1 <w1@refci.invalid> 1700000000 +0000\ncommitter refci worker w1 <w1@refci.invalid> 1700000000 +0000\n\nresult x: success by w1\n\nRefci-Kind: result\n',
  );
  t.is(signatureKind(split), 'ssh');
  t.deepEqual(signingKeyOf(split.signature!), KEY);
  const unsigned = splitSignedCommit(split.payload);
  t.is(unsigned.payload, split.payload);
  t.is(signatureKind(unsigned), 'unsigned');
  t.is(signatureKind(splitSignedCommit(SIGNED_COMMIT.replace('-----BEGIN SSH SIGNATURE-----', '-----BEGIN PGP SIGNATURE-----'))), 'other');
  // A message line that looks like a header is message, not signature.
  t.is(signatureKind(splitSignedCommit(`${split.payload}gpgsig ${SIGNATURE}`)), 'unsigned');
  t.is(signingKeyOf('-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n'), undefined);
});

const lock = (worker: string, event: LockRecord['event'], attempt = 1): LockRecord => ({
  version: 1,
  job: 'j1',
  event,
  worker,
  host: 'h',
  attempt,
  leaseSec: 300,
  nonce: '0123456789abcdef',
  at: '2026-01-01T00:00:00.000Z',
  tools: {},
});

const signers: AllowedSigner[] = [
  { worker: 'w1', key: KEY },
  { worker: 'w2', key: OTHER },
];

function facts(over: Partial<SignatureFacts> = {}): SignatureFacts {
  return {
    requireSignatures: true,
    signers,
    result: { worker: 'w1', attempt: 1, status: 'success' },
    resultOid: 'R',
    resultSignature: 'ssh',
    holder: { last: lock('w1', 'heartbeat'), start: lock('w1', 'claim'), startOid: 'C', startSignature: 'ssh' },
    ...over,
  };
}

test('the rule: a judged result of the lock holder needs its signature and its claim\'s checked', (t) => {
  t.deepEqual(signaturePlan(facts()), {
    kind: 'verify',
    checks: [
      { oid: 'R', what: 'result', worker: 'w1' },
      { oid: 'C', what: 'claim', worker: 'w1' },
    ],
  });
});

test('the rule: a result of another worker than the lock holder is refused before any signature is checked', (t) => {
  const forged = signaturePlan(facts({ result: { worker: 'w2', attempt: 1, status: 'success' } }));
  t.deepEqual(forged, { kind: 'refuse', reason: 'it names worker w2, but the lock it extends is held by w1 (attempt 1)' });
  const heartbeatOfOther = signaturePlan(facts({ result: { worker: 'w2', attempt: 1, status: 'failure' }, holder: { last: lock('w2', 'heartbeat'), start: lock('w1', 'claim'), startOid: 'C', startSignature: 'ssh' } }));
  t.like(heartbeatOfOther, { kind: 'refuse', reason: 'it names worker w2, but the lock it extends is held by w1 (attempt 1)' });
  t.like(signaturePlan(facts({ result: { worker: 'w1', attempt: 2, status: 'success' } })), { kind: 'refuse', reason: 'it is for attempt 2, but the lock it extends is attempt 1 of w1' });
  t.like(signaturePlan(facts({ holder: { problem: 'the lock it extends was handed back by w1 (release)' } })), { kind: 'refuse', reason: 'it names worker w1, but the lock it extends was handed back by w1 (release)' });
});

test('the rule: requireSignatures decides unsigned judged results; error and cancelled results may be unsigned; a present signature is always checked', (t) => {
  t.deepEqual(signaturePlan(facts({ resultSignature: 'unsigned' })), { kind: 'refuse', reason: 'the result commit of worker w1 is not signed, and requireSignatures is on' });
  t.deepEqual(signaturePlan(facts({ resultSignature: 'unsigned', requireSignatures: false })), { kind: 'accept' });
  t.deepEqual(signaturePlan(facts({ resultSignature: 'unsigned', result: { worker: 'sweeper', attempt: 0, status: 'error' } })), { kind: 'accept' });
  t.deepEqual(signaturePlan(facts({ result: { worker: 'w2', attempt: 1, status: 'error' } })), { kind: 'verify', checks: [{ oid: 'R', what: 'result', worker: 'w2' }] });
  t.like(signaturePlan(facts({ resultSignature: 'other', requireSignatures: false })), { kind: 'refuse' });
  // A signed result of a worker without a key: unchecked when signatures are optional, refused when required.
  const stranger = { result: { worker: 'w9', attempt: 1, status: 'success' as const }, holder: { last: lock('w9', 'claim'), start: lock('w9', 'claim'), startOid: 'C', startSignature: 'ssh' as const } };
  t.deepEqual(signaturePlan(facts({ ...stranger, requireSignatures: false })), { kind: 'accept' });
  t.like(signaturePlan(facts(stranger)), { kind: 'refuse', reason: 'it is signed, but allowed_signers on refs/heads/config has no key for worker w9 (refci worker add w9 <public key> adds it)' });
  // A sweep's error result signed by a worker whose key is not listed keeps its own reason.
  t.deepEqual(signaturePlan(facts({ ...stranger, result: { worker: 'w9', attempt: 1, status: 'error' } })), { kind: 'accept' });
  // An unsigned claim: fine while signatures are optional, refused when required.
  const unsignedClaim = { holder: { last: lock('w1', 'claim'), start: lock('w1', 'claim'), startOid: 'C', startSignature: 'unsigned' as const } };
  t.deepEqual(signaturePlan(facts({ ...unsignedClaim, requireSignatures: false })), { kind: 'verify', checks: [{ oid: 'R', what: 'result', worker: 'w1' }] });
  t.like(signaturePlan(facts(unsignedClaim)), { kind: 'refuse', reason: 'the claim of attempt 1 by w1 is not signed, and requireSignatures is on' });
});

test('a failed check names the signer when the key belongs to another worker', (t) => {
  const check = { oid: 'R', what: 'result' as const, worker: 'w1' };
  t.is(failedCheckReason(check, signers, OTHER, 'ssh-keygen: Could not verify signature.'), 'the result names worker w1 but is signed with the key of w2');
  t.is(
    failedCheckReason(check, signers, KEY, 'ssh-keygen: Signature verification failed: incorrect signature'),
    `the signature of the result is not a good signature of worker w1 (key ${fingerprintOf(KEY)}): ssh-keygen: Signature verification failed: incorrect signature`,
  );
});

test('the worker\'s gate: it claims nothing when its results would be refused, and says so', (t) => {
  const config = { ...defaultConfig(), allowedSigners: signers };
  t.deepEqual(signingState(config, 'w1', KEY), {});
  t.regex(signingState(config, 'w1', OTHER).block ?? '', /^its signing key SHA256:\S+ is not one allowed_signers lists for w1/);
  t.regex(signingState(config, 'w1', undefined).note ?? '', /runs without --signing-key/);
  t.regex(signingState({ ...config, requireSignatures: true }, 'w1', undefined).block ?? '', /^requireSignatures is on and this worker signs nothing/);
  t.regex(signingState(config, 'w3', KEY).note ?? '', /allowed_signers lists no key for w3: its signatures are not checked until refci worker add w3/);
  t.regex(signingState({ ...config, requireSignatures: true }, 'w3', KEY).block ?? '', /requireSignatures is on and allowed_signers on refs\/heads\/config lists no key for w3/);
  t.deepEqual(signingState(defaultConfig(), 'w1', undefined), {});
});

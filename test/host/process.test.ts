import test from 'ava';
import { runStep } from '../../src/host/process.ts';

const TOKEN = `ghp_${'Q7w8E9r0T1'.repeat(3)}abcdef`;

test('a step\'s log is scrubbed before it is kept, and the live view gets the same bytes in the same order', async (t) => {
  // The token reaches the stdout pipe in two writes, with a stderr line between them.
  const code = [
    `process.stdout.write("clone https://bot:hunter2@example.org/r\\nkey ${TOKEN.slice(0, 10)}");`,
    'process.stderr.write("Authorization: Bearer abc\\n");',
    `setTimeout(() => process.stdout.write("${TOKEN.slice(10)} ok\\nlast"), 50);`,
  ].join(' ');
  const live: Buffer[] = [];
  const outcome = await runStep({
    argv: ['node', '-e', code],
    cwd: process.cwd(),
    timeoutMs: 30_000,
    signal: new AbortController().signal,
    logCap: 1024,
    now: Date.now,
    onLog: (chunk) => live.push(chunk),
  });
  t.is(outcome.exitCode, 0);
  const log = outcome.log.toString();
  // Each stream's lines stay whole; which stream's line comes first is up to the pipes.
  t.deepEqual(log.split('\n').sort(), ['Authorization: [redacted]', 'clone https://bot:[redacted]@example.org/r', 'key ghp_[redacted] ok', 'last']);
  t.true(log.endsWith('last'));
  t.is(Buffer.concat(live).toString(), log);
  t.is(outcome.logBytes, outcome.log.length);
});

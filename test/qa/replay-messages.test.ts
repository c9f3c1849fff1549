import test from 'ava';
import { findingKey } from '../../src/qa/key.ts';
import { parsePkgcheckOutput } from '../../src/qa/parse.ts';
import { withReplayMessages } from '../../src/qa/replay-messages.ts';
import { buildQaReport } from '../../src/qa/run.ts';
import { fixture } from './fixtures.ts';

const stream = fixture('reporter-formats', 'JsonStream.jsonl');
const replay = fixture('reporter-formats', 'JsonReporter.jsonl');

test('a JsonReporter replay of a JsonStream scan gives each finding its message and level, keys unchanged', (t) => {
  const scan = parsePkgcheckOutput(stream).findings;
  const { findings, warning } = withReplayMessages(scan, parsePkgcheckOutput(replay), 'head');
  t.is(warning, undefined);
  t.is(findings.length, 8);
  const unquoted = findings.find((f) => f.keyword === 'UnquotedVariable')!;
  t.is(unquoted.description, 'unquoted variable D on lines: 5, 7');
  t.is(unquoted.level, 'warning');
  t.deepEqual(findings.map(findingKey), scan.map(findingKey));
});

test('a replay that does not line up with its scan changes nothing and says why', (t) => {
  const scan = parsePkgcheckOutput(stream).findings;
  const short = withReplayMessages(scan, parsePkgcheckOutput(replay.split('\n').slice(1).join('\n')), 'base');
  t.regex(short.warning!, /^the base replay does not match its scan \(7 results for 8\)/);
  t.deepEqual(short.findings, scan);
  const swapped = replay.split('\n');
  [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
  t.regex(withReplayMessages(scan, parsePkgcheckOutput(swapped.join('\n')), 'head').warning!, /result 4 is InvalidPN dev-libs\/foo\//);
  t.regex(withReplayMessages(scan, parsePkgcheckOutput(stream), 'head').warning!, /JsonStream output, not JsonReporter/);
  t.regex(withReplayMessages(scan, parsePkgcheckOutput(`${replay}{oops\n`), 'head').warning!, /line 9: invalid JSON/);
});

test('reports show pkgcheck messages for JsonStream scans when the replays are given', (t) => {
  const newLine = '{"__class__": "UnknownLicense", "category": "dev-libs", "package": "foo", "version": "0", "licenses": ["BAD"]}';
  const newMessage = '{"dev-libs": {"foo": {"0": {"_error": {"UnknownLicense": "unknown license: BAD"}}}}}';
  const report = buildQaReport({
    baseText: stream,
    headText: `${stream}${newLine}\n`,
    baseMessagesText: replay,
    headMessagesText: `${replay}${newMessage}\n`,
  });
  t.is(report.diff.new.length, 1);
  t.is(report.diff.new[0]!.message, 'unknown license: BAD');
  t.is(report.diff.new[0]!.level, 'error');
  t.regex(report.diff.new[0]!.key, /attrs:/, 'the key is still the attributes');
  t.is(report.diff.preExisting.length, 8);
  t.deepEqual(report.diff.warnings, []);

  const without = buildQaReport({ baseText: stream, headText: `${stream}${newLine}\n`, headMessagesText: 'garbage\n' });
  t.is(without.diff.new[0]!.key, report.diff.new[0]!.key);
  t.regex(without.diff.warnings.join('\n'), /the head replay does not match its scan/);
});

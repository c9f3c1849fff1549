import test from 'ava';
import { decodeLiveLogIndex, LIVE_LOGS_FILE, LiveLogTails, liveNews, restOfLog } from '../../src/protocol/live-log.ts';
import { CappedBuffer } from '../../src/host/capped-buffer.ts';

const index = (files: Record<string, string | Uint8Array>) => {
  const decoded = decodeLiveLogIndex(Buffer.from(files[LIVE_LOGS_FILE] as string));
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.value;
};

test('the tails keep at most the cap per step, start at a line where they can, and say which bytes they hold', (t) => {
  const tails = new LiveLogTails(16);
  t.deepEqual(tails.files(), {}, 'nothing before the first step');
  tails.write('build', Buffer.from('one\ntwo\n'));
  let files = tails.files();
  t.is(String(files['logs/build.log']), 'one\ntwo\n');
  t.deepEqual(index(files).steps, [{ name: 'build', log: 'logs/build.log', from: 0, to: 8, done: false }]);
  t.is(tails.files(), files, 'the same files while nothing new came');

  tails.write('build', Buffer.from('three\nfour\nfive\n'));
  tails.end('build');
  tails.end('lint');
  files = tails.files();
  // The last 16 bytes are "ee\nfour\nfive\n" plus a bit: the half line is dropped.
  t.is(String(files['logs/build.log']), 'four\nfive\n');
  t.true((files['logs/build.log'] as Uint8Array).length <= 16);
  t.deepEqual(index(files).steps, [
    { name: 'build', log: 'logs/build.log', from: 14, to: 24, done: true },
    { name: 'lint', log: 'logs/lint.log', from: 0, to: 0, done: true },
  ]);
  t.is(String(files['logs/lint.log']), '');
});

test('a tail of one long line is kept as it is, still within the cap', (t) => {
  const tails = new LiveLogTails(8);
  for (let i = 0; i < 100; i++) tails.write('s', Buffer.from('0123456789'));
  const files = tails.files();
  t.is(String(files['logs/s.log']), '23456789');
  t.like(index(files).steps[0], { from: 992, to: 1000 });
});

test('a reader prints only what is new, whole lines while the step runs, and marks what it missed', (t) => {
  const window = (from: number, content: string, done = false) => ({ from, to: from + content.length, done, content: Buffer.from(content) });
  let news = liveNews(0, window(0, 'a\nb\npart'));
  t.is(String(news.text), 'a\nb\n');
  t.is(news.printed, 4);
  news = liveNews(4, window(0, 'a\nb\npartial\nc\n'));
  t.deepEqual([String(news.text), news.skipped, news.printed], ['partial\nc\n', 0, 14]);
  news = liveNews(14, window(0, 'a\nb\npartial\nc\n'));
  t.is(news.text.length, 0, 'nothing new');
  news = liveNews(14, window(30, 'x\ny\n'));
  t.deepEqual([String(news.text), news.skipped, news.printed], ['x\ny\n', 16, 34]);
  news = liveNews(34, window(30, 'x\ny\nlast', true));
  t.deepEqual([String(news.text), news.printed], ['last', 38], 'a step that ended has no unfinished line to wait for');
  t.is(String(liveNews(0, window(0, 'a\nb'), { partial: true }).text), 'a\nb');
  t.is(liveNews(0, { from: 0, to: 9, done: false, content: Buffer.from('short') }).text.length, 0, 'a tail whose length is not what the index says is ignored');
});

test('the rest of a result log after what was shown live, also when the result cut its middle', (t) => {
  t.is(String(restOfLog(4, Buffer.from('a\nb\nc\n'), { logBytes: 6, logTruncated: false }).text), 'c\n');
  t.is(String(restOfLog(0, Buffer.from('a\n'), { logBytes: 2, logTruncated: false }).text), 'a\n');
  const capped = new CappedBuffer(8);
  capped.push(Buffer.from('0123456789abcdef'));
  const log = capped.contents();
  const step = { logBytes: capped.total, logTruncated: true };
  t.is(String(restOfLog(2, log, step).text), '23\n[refci: ... 8 of 16 bytes cut ...]\ncdef');
  t.deepEqual(restOfLog(6, log, step), { skipped: 6, text: Buffer.from('cdef') });
  t.is(String(restOfLog(14, log, step).text), 'ef');
  t.is(restOfLog(16, log, step).text.length, 0);
});

test('an index that is not what it should be is refused, never half read', (t) => {
  t.false(decodeLiveLogIndex('{"version":2,"steps":[]}').ok);
  t.false(decodeLiveLogIndex('{"version":1,"steps":[{"name":"a","log":"../x","from":0,"to":1,"done":false}]}').ok);
  t.false(decodeLiveLogIndex('{"version":1,"steps":[{"name":"a","log":"logs/a.log","from":5,"to":1,"done":false}]}').ok);
  t.false(decodeLiveLogIndex('not json').ok);
  t.true(decodeLiveLogIndex('{"version":1,"steps":[{"name":"a","log":"logs/a.log","from":0,"to":1,"done":false}]}').ok);
});

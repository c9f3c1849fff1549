import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { runDemo } from '../../src/demo/demo.ts';
import { tempDir } from '../helpers/temp.ts';

test('the demo runs every sample PR to the verdict its description promises', async (t) => {
  const dir = tempDir(t);
  const lines: string[] = [];
  const { verdicts } = await runDemo({ out: (line) => lines.push(line), dir });
  const text = lines.join('\n');
  t.regex(text, /pr\/1 {2}success/);
  t.regex(text, /pr\/2 {2}failure: 1 new error: UnknownLicense \(app-misc\/oldtool-0\.9\)/);
  t.regex(text, /pr\/3 {2}success: no new errors; 1 fixed/);
  t.regex(text, /pr\/5 {2}error: merge conflict/);
  t.regex(text, /pr\/6 {2}error: step regen exited with 1/);
  t.is(Object.keys(verdicts).length, 7);
  const failing = Object.entries(verdicts).find(([, verdict]) => verdict === 'failure')![0];
  const html = fs.readFileSync(path.join(dir, 'reports', failing, 'report.html'), 'utf8');
  t.regex(html, /UnknownLicense/);
  t.regex(text, /stand-ins/);
});

import test from 'ava';
import { readFiles, readObjects } from '../../src/git/cat-file.ts';
import { readLooseFile } from '../../src/git/loose.ts';
import { writeRecordCommit } from '../../src/git/objects.ts';
import { git } from '../../src/git/runner.ts';
import { bareRepo } from '../helpers/temp.ts';

const author = { name: 'refci test', email: 'test@refci.invalid', timeMs: Date.parse('2026-01-01T00:00:00Z') };

test('files of loose commits are read in process exactly as git reads them; packed ones are left to git', async (t) => {
  const repo = await bareRepo(t);
  const big = 'x'.repeat(70_000);
  const commit = await writeRecordCommit(repo, { files: { 'job.json': '{"id":"a"}', 'logs/step.log': 'line\n', 'big.txt': big }, parents: [], message: 'record', author });
  const specs = ['job.json', 'logs/step.log', 'big.txt', 'nothing.json', 'logs', 'logs/step.log/deeper'].map((file) => `${commit}:${file}`);
  t.like(readLooseFile(repo, specs[0]!, 65536), { kind: 'ok' });
  t.is((readLooseFile(repo, specs[0]!, 65536) as { content: Buffer }).content.toString(), '{"id":"a"}');
  t.is((readLooseFile(repo, specs[1]!, 65536) as { content: Buffer }).content.toString(), 'line\n');
  t.deepEqual(readLooseFile(repo, specs[2]!, 65536), { kind: 'too-large', size: 70_000 });
  t.deepEqual(readLooseFile(repo, specs[3]!, 65536), { kind: 'missing' });
  t.deepEqual(readLooseFile(repo, specs[4]!, 65536), { kind: 'missing' }, 'a folder is no file');
  t.deepEqual(readLooseFile(repo, specs[5]!, 65536), { kind: 'missing' });
  t.deepEqual(readLooseFile(repo, `refs/heads/x:job.json`, 65536), { kind: 'unknown' }, 'a ref name is git\'s to resolve');
  // The same answers as git's own reads.
  const inProcess = await readFiles(repo, specs, 65536);
  const byGit = await readObjects(repo, specs, 65536);
  for (const spec of specs) {
    const ours = inProcess.get(spec)!;
    const theirs = byGit.get(spec)!;
    if (ours.kind === 'ok') t.deepEqual(ours.content, theirs.type === 'blob' && 'content' in theirs ? theirs.content : undefined, spec);
    else if (ours.kind === 'too-large') t.is(ours.size, theirs.type === 'blob' && 'size' in theirs ? theirs.size : -1);
    else t.not(theirs.type, 'blob', spec);
  }
  // Packed: nothing loose to read, git answers.
  await git(['update-ref', 'refs/keep', commit], { cwd: repo });
  await git(['repack', '-adq'], { cwd: repo });
  await git(['prune-packed'], { cwd: repo });
  t.deepEqual(readLooseFile(repo, specs[0]!, 65536), { kind: 'unknown' });
  const packed = (await readFiles(repo, specs, 65536)).get(specs[0]!);
  t.is(packed?.kind === 'ok' ? packed.content.toString() : '', '{"id":"a"}');
  t.deepEqual((await readFiles(repo, specs, 65536)).get(specs[2]!), { kind: 'too-large', size: 70_000 });
});

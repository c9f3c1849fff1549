import test from 'ava';
import { git } from '../../src/git/runner.ts';
import { refci } from '../helpers/cli.ts';
import { scenario } from '../helpers/coord.ts';

const base = 'a'.repeat(40);
const head = 'b'.repeat(40);

test('enqueue strips credentials from --repo before anything is written, with one warning line', async (t) => {
  const s = await scenario(t, 'file', 1);
  // Full commit ids: enqueue does not contact the (unreachable) source repository.
  const out = await refci(
    ['enqueue', '--coord', s.coord, '--repo', 'https://someone:s3cret-token@git.example.invalid/gentoo/gentoo.git', '--base', base, '--head', head, '--pr', '5', '--pipeline', 'check'],
    { env: s.env },
  );
  t.is(out.exitCode, 0, out.stderr);
  const id = out.stdout.trim();
  const warnings = out.stderr.split('\n').filter((line) => /carried credentials/.test(line));
  t.is(warnings.length, 1, out.stderr);
  t.notRegex(out.stderr + out.stdout, /s3cret|someone/);
  const job = JSON.parse((await git(['cat-file', '-p', `refs/ci/jobs/${id}:job.json`], { cwd: s.coordPath })).stdout);
  t.is(job.repo, 'https://git.example.invalid/gentoo/gentoo.git');
  t.notRegex(JSON.stringify(job), /s3cret|someone/);
  const objects = await git(['cat-file', '--batch-all-objects', '--batch'], { cwd: s.coordPath });
  t.notRegex(objects.stdout, /s3cret/, 'no object of the coordination repository holds the token');
});

test('enqueue refuses a repo that git would read as an option', async (t) => {
  const s = await scenario(t, 'file', 1);
  const out = await refci(['enqueue', '--coord', s.coord, '--repo=--upload-pack=touch /tmp/x', '--base', base, '--head', head, '--pipeline', 'check'], { env: s.env });
  t.is(out.exitCode, 3, out.stderr);
  t.regex(out.stderr, /must not start with -/);
});

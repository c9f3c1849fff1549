import test from 'ava';
import fs from 'node:fs';
import { refci } from '../helpers/cli.ts';
import { enqueuePr, scenario, type Scenario } from '../helpers/coord.ts';
import { commitsOf, editConfig, readJson, refExists, standInTool } from './helpers.ts';

/** A pipeline that needs the stand-in tool `fake`, which `--version`s as `fake <version file>`. */
function wantFake(s: Scenario, want: string, updateFor?: (versionFile: string) => string[]) {
  const fake = standInTool(s.dir, 'fake', '1.0');
  const update = updateFor?.(fake.versionFile);
  return {
    fake,
    edit: (c: Record<string, any>) => {
      c.tools.fake = { versionCommand: [fake.bin, '--version'], want, ...(update ? { update: { default: update } } : {}) };
      c.pipelines.faked = { kind: 'steps', checkout: false, tools: ['fake'], steps: [{ name: 'run', run: [fake.bin, '--version'], timeoutSec: 60 }] };
    },
  };
}

const work = (s: Scenario, id = 'w1') => refci(['work', '--coord', s.coord, '--once', '--worker-id', id], { env: s.env });

test('a wanted version the worker lacks: it runs the update command, checks again, then claims', async (t) => {
  const s = await scenario(t, 'memory', 1);
  // The update command writes the wanted version into the stand-in's version file.
  const setup = wantFake(s, '2.0', (versionFile) => ['sh', '-c', `sleep 0.2; echo {want} > '${versionFile}'`]);
  const commit = await editConfig(s, setup.edit, 'want fake 2.0');
  const id = (await enqueuePr(s, 1, 'faked')).stdout.trim();
  const out = await work(s);
  t.is(out.exitCode, 0, out.stderr);
  const lines = out.stdout.split('\n');
  const updating = lines.findIndex((l) => /fake is "fake 1\.0", wanted 2\.0: updating with sh -c/.test(l));
  const updated = lines.findIndex((l) => /fake updated: now "fake 2\.0"/.test(l));
  const claimed = lines.findIndex((l) => l.includes(`${id}: claimed by w1`));
  t.true(updating >= 0 && updated > updating && claimed > updated, out.stdout);
  t.is(fs.readFileSync(setup.fake.versionFile, 'utf8').trim(), '2.0');
  const result = await readJson(s, `refs/ci/results/${id}:result.json`);
  t.is(result.status, 'success');
  t.is(result.tools.fake, 'fake 2.0', 'the result records the version it ran with');
  t.is(result.configCommit, commit);
  const claim = (await commitsOf(s, `refs/ci/results/${id}`))[1];
  t.is((await readJson(s, `${claim}:lock.json`)).tools.fake, 'fake 2.0', 'and so does the lock');
  t.is((await readJson(s, 'refs/ci/workers/w1:worker.json')).tools.fake, 'fake 2.0');
});

test('a worker that cannot meet a wanted version claims none of that pipeline\'s jobs and says why', async (t) => {
  const s = await scenario(t, 'memory', 2);
  // The update "succeeds" but changes nothing.
  const setup = wantFake(s, '3.0', () => ['true']);
  await editConfig(s, setup.edit, 'want fake 3.0');
  const blocked = (await enqueuePr(s, 1, 'faked')).stdout.trim();
  const other = (await enqueuePr(s, 2, 'check')).stdout.trim();
  const first = await work(s);
  t.is(first.exitCode, 0, first.stderr);
  t.regex(first.stdout, /fake is "fake 1\.0", wanted 3\.0 after the update, which exited 0/);
  t.regex(first.stdout, /not claiming pipeline faked jobs: fake is "fake 1\.0", wanted 3\.0 \(its update exited 0; next try in 30m\)/);
  t.regex(first.stdout, /ran 1 job\(s\)/);
  t.true(await refExists(s, `refs/ci/results/${other}`), 'other pipelines still run');
  t.false(await refExists(s, `refs/ci/locks/${blocked}`), 'the blocked job is never claimed');
  // A second run does not run the failed update again before updateRetrySec.
  const second = await work(s);
  t.notRegex(second.stdout, /updating with/);
  t.regex(second.stdout, /not claiming pipeline faked jobs: .*next try in 30m/);
  t.false(await refExists(s, `refs/ci/locks/${blocked}`));
  const presence = await readJson(s, 'refs/ci/workers/w1:worker.json');
  t.false(presence.pipelines.includes('faked'));
  t.regex(presence.blocked.faked, /wanted 3\.0/);
  const status = JSON.parse((await refci(['status', '--coord', s.coord, '--json'], { env: s.env })).stdout);
  const row = status.queue.find((q: { id: string }) => q.id === blocked);
  t.regex(row.note, /no worker can run faked now \(w1: fake is "fake 1\.0", wanted 3\.0/);
});

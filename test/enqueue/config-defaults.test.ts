import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';
import { createCoordRepository } from '../../src/coord/create-repository.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { writeRecordCommit } from '../../src/git/objects.ts';
import { git } from '../../src/git/runner.ts';
import { CONFIG_REF } from '../../src/protocol/refs.ts';
import { memoryCopy, recordJson } from '../helpers/memory.ts';
import { sourceRepo } from '../helpers/source-repo.ts';
import { ManualClock, tempDir } from '../helpers/temp.ts';

/** A coordination repository, held in process, whose configuration branch says maxAttempts 5 and jobTimeoutSec 600. */
async function setup(t: ExecutionContext) {
  const dir = tempDir(t);
  const coord = path.join(dir, 'coord.git');
  const clock = new ManualClock();
  const defaults = await createCoordRepository(coord, 'test', clock);
  const config = { ...defaultConfig(), maxAttempts: 5, jobTimeoutSec: 600 };
  const oid = await writeRecordCommit(coord, {
    files: { 'config.json': JSON.stringify(config) },
    parents: [defaults],
    message: 'config: five attempts, ten minutes',
    author: { name: 'admin', email: 'admin@example.org', timeMs: clock.now() },
  });
  await git(['update-ref', CONFIG_REF, oid, defaults], { cwd: coord });
  const repository = await memoryCopy(t, coord);
  const source = await sourceRepo(path.join(dir, 'source'), 2);
  const enqueue = async (pr: number, extra: string[] = []) => {
    const lines: string[] = [];
    const errors: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => errors.push(line), env: {}, isTTY: false };
    const argv = ['enqueue', '--coord', repository.url, '--state-dir', path.join(dir, 'state'), '--repo', source.path, '--base', source.base, '--head', source.heads[pr - 1], '--pr', String(pr), '--pipeline', 'noop', ...extra];
    const code = await main(argv, io);
    t.is(code, 0, errors.join('\n'));
    const id = lines[0];
    return recordJson(repository, `refs/ci/jobs/${id}`, 'job.json') as { maxAttempts: number; timeoutSec: number };
  };
  return { enqueue };
}

test('enqueue takes maxAttempts and jobTimeoutSec from the configuration branch', async (t) => {
  const { enqueue } = await setup(t);
  const job = await enqueue(1);
  t.is(job.maxAttempts, 5);
  t.is(job.timeoutSec, 600);
});

test('enqueue flags win over the configuration', async (t) => {
  const { enqueue } = await setup(t);
  const job = await enqueue(2, ['--max-attempts', '2', '--timeout', '30']);
  t.is(job.maxAttempts, 2);
  t.is(job.timeoutSec, 30);
});

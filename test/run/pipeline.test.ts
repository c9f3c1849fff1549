import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { PipelineConfig } from '../../src/config/types.ts';
import { newJob } from '../../src/protocol/job.ts';
import { runPipeline } from '../../src/run/pipeline.ts';
import type { Workspace } from '../../src/run/workspace.ts';
import { tempDir } from '../helpers/temp.ts';
import { preparedTrees } from '../helpers/trees.ts';
import { jobRunDefaults } from '../helpers/job-run.ts';

function runArgs(pipeline: PipelineConfig) {
  return {
    job: newJob({ repo: '/nowhere', base: 'a'.repeat(40), head: 'b'.repeat(40), pipeline: 'p', createdAt: '2026-01-01T00:00:00.000Z' }),
    pipeline,
    config: defaultConfig(),
    workspace: {} as Workspace,
    ...jobRunDefaults(),
  };
}

const run = (pipeline: PipelineConfig) => runPipeline(runArgs(pipeline));

const node = (code: string) => ['node', '-e', code];

test('a step reads an earlier step\'s artifact on its standard input', async (t) => {
  const { result, artifacts } = await run({
    kind: 'steps',
    checkout: false,
    steps: [
      { name: 'write', run: node('console.log("one"); console.log("two")'), timeoutSec: 60, stdoutArtifact: 'outputs/lines.txt' },
      {
        name: 'count',
        run: node('let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(s.trim().split("\\n").length))'),
        timeoutSec: 60,
        stdinArtifact: 'outputs/lines.txt',
        stdoutArtifact: 'outputs/count.txt',
      },
    ],
  });
  t.is(result.status, 'success', result.reason);
  t.is(String(artifacts['outputs/count.txt']), '2\n');
});

test('a step whose input no earlier step wrote ends the job with an error naming the fix', async (t) => {
  const { result } = await run({
    kind: 'steps',
    checkout: false,
    steps: [{ name: 'count', run: node('0'), timeoutSec: 60, stdinArtifact: 'outputs/missing.txt' }],
  });
  t.is(result.status, 'error');
  t.is(result.reason, 'step count reads outputs/missing.txt, which no earlier step wrote; fix stdinArtifact in the configuration');
});

test('without an input the step\'s standard input is closed, not inherited', async (t) => {
  const { result, artifacts } = await run({
    kind: 'steps',
    checkout: false,
    steps: [{ name: 'read', run: node('let n = 0; process.stdin.on("data", (d) => (n += d.length)).on("end", () => console.log(n))'), timeoutSec: 60, stdoutArtifact: 'o.txt' }],
  });
  t.is(result.status, 'success', result.reason);
  t.is(String(artifacts['o.txt']), '0\n');
});

test('an optional step that fails is recorded, leaves no artifact, and the job goes on', async (t) => {
  const { result, artifacts } = await run({
    kind: 'steps',
    checkout: false,
    steps: [
      { name: 'extra', run: node('console.log("partial"); process.exit(3)'), timeoutSec: 60, stdoutArtifact: 'outputs/extra.txt', optional: true },
      { name: 'main', run: node('console.log("done")'), timeoutSec: 60, stdoutArtifact: 'outputs/main.txt' },
    ],
  });
  t.is(result.status, 'success', result.reason);
  t.is(result.reason, '1 of 2 steps passed; optional step extra exited with 3');
  t.deepEqual(result.steps.map((s) => [s.name, s.exitCode]), [['extra', 3], ['main', 0]]);
  t.false('outputs/extra.txt' in artifacts);
  t.is(String(artifacts['outputs/main.txt']), 'done\n');
});

test('a failed pmaint step names the failing ebuild and its die message, not only pmaint\'s count', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refci-pmaint-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pmaint = path.join(dir, 'pmaint');
  const said = ' * ERROR: dev-util/buildkit-3.2::gentoo failed (depend phase):\\n *   regen-failure\\n *\\npmaint regen: error: metadata regeneration failed for 1 package\\n';
  fs.writeFileSync(pmaint, `#!/bin/sh\nprintf '${said}' >&2\nexit 1\n`, { mode: 0o755 });
  const { result, infrastructure } = await run({ kind: 'gentoo', checkout: false, steps: [{ name: 'regen', run: [pmaint, 'regen', '.'], timeoutSec: 60 }] });
  t.is(result.status, 'error');
  t.is(result.reason, 'step regen exited with 1: metadata regeneration failed for 1 ebuild: dev-util/buildkit-3.2: regen-failure');
  t.is(infrastructure, undefined, 'the ebuild is the PR\'s, not the host\'s');
});

test('a step whose tool is missing is a CI infrastructure problem, handed back rather than judged', async (t) => {
  const { result, infrastructure } = await run({ kind: 'gentoo', checkout: false, steps: [{ name: 'regen', run: ['refci-no-such-pmaint', 'regen', '.'], timeoutSec: 60 }] });
  t.is(result.status, 'error');
  t.regex(result.reason, /^CI infrastructure problem: step regen could not start refci-no-such-pmaint: .*ENOENT/);
  t.is(infrastructure, result.reason);
});

test('a {targets} step with nothing to scan is reported as skipped, never as passed', async (t) => {
  const { result } = await runPipeline({
    ...runArgs({
      kind: 'steps',
      checkout: true,
      steps: [
        { name: 'scan', run: node('console.log(process.argv.length)').concat('{targets}'), timeoutSec: 60 },
        { name: 'after', run: node('0'), timeoutSec: 60 },
      ],
    }),
    workspace: { prepare: async () => preparedTrees(tempDir(t)), release: () => undefined } as unknown as Workspace,
    beforeSteps: async () => ({ values: {}, details: {}, scans: { merged: [], base: [] } }),
  });
  t.is(result.status, 'success', result.reason);
  t.is(result.reason, '1 of 2 steps passed; skipped: scan (nothing to scan)');
  t.deepEqual(result.details.skippedSteps, ['scan']);
});

test('each step\'s log reaches the live output under its result name as it is written, and each step ends there', async (t) => {
  const events: string[] = [];
  const written = new Map<string, Buffer[]>();
  const { result, artifacts } = await runPipeline({
    ...runArgs({
      kind: 'steps',
      checkout: false,
      steps: [
        { name: 'first', run: node('console.log("a"); console.error("b")'), timeoutSec: 60 },
        { name: 'second', run: node('console.log("token ghp_' + 'x'.repeat(36) + '")'), timeoutSec: 60 },
      ],
    }),
    output: {
      write: (step, chunk) => {
        if (events.at(-1) !== `write ${step}`) events.push(`write ${step}`);
        written.set(step, [...(written.get(step) ?? []), Buffer.from(chunk)]);
      },
      end: (step) => void events.push(`end ${step}`),
    },
  });
  t.is(result.status, 'success', result.reason);
  t.deepEqual(events, ['write first', 'end first', 'write second', 'end second']);
  for (const name of ['first', 'second']) t.deepEqual(Buffer.concat(written.get(name)!), Buffer.from(artifacts[`logs/${name}.log`]!));
  t.is(String(artifacts['logs/second.log']), 'token ghp_[redacted]\n');
});

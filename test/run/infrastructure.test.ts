import test from 'ava';
import { infrastructureProblem, type FailedStep } from '../../src/run/infrastructure.ts';

const step = (overrides: Partial<FailedStep>): FailedStep => ({ name: 'regen', argv: ['pmaint', 'regen', '/w'], exitCode: 1, sandboxed: false, log: '', ...overrides });

test('a tool that could not be started is the host\'s problem, never the pull request\'s', (t) => {
  t.is(infrastructureProblem(step({ exitCode: null, spawnError: 'spawn pmaint ENOENT' })), 'CI infrastructure problem: step regen could not start pmaint: spawn pmaint ENOENT');
  t.is(
    infrastructureProblem(step({ sandboxed: true, log: 'bwrap: execvp pmaint: No such file or directory\n' })),
    'CI infrastructure problem: step regen could not start pmaint in the sandbox: bwrap: execvp pmaint: No such file or directory',
  );
  t.is(infrastructureProblem(step({ exitCode: 127, log: 'sh: 1: pmaint: not found\n' })), 'CI infrastructure problem: step regen could not start pmaint: exit 127, command not found');
  t.is(infrastructureProblem(step({ exitCode: 126 })), 'CI infrastructure problem: step regen could not start pmaint: exit 126, not executable');
  t.is(
    infrastructureProblem(step({ sandboxed: true, log: 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces\n' })),
    'CI infrastructure problem: step regen could not start the sandbox: bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces',
  );
});

test('a tool that ran and failed is judged as the job\'s own failure', (t) => {
  const died = ' * ERROR: dev-util/buildkit-3.2::gentoo failed (depend phase):\n *   regen-failure\n';
  t.is(infrastructureProblem(step({ log: died })), undefined);
  t.is(infrastructureProblem(step({ exitCode: 2, log: 'pmaint regen: error: unrecognized arguments: --bad\n' })), undefined);
  t.is(infrastructureProblem(step({ exitCode: null, log: '' })), undefined, 'killed by a signal');
  t.is(infrastructureProblem(step({ sandboxed: false, log: 'bwrap: something the tool printed\n' })), undefined, 'bwrap lines count only when bwrap ran the step');
});

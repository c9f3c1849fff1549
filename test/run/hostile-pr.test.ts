/**
 * A pull request's code against the worker: every attack runs as a sandboxed
 * step of a real job (real git, real bwrap, the worker's own Workspace and
 * hooks), and what it tries must not reach the host, the base tree, the next
 * job or the logs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { PipelineConfig, StepConfig } from '../../src/config/types.ts';
import { git } from '../../src/git/runner.ts';
import { newJob } from '../../src/protocol/job.ts';
import { workerHooks } from '../../src/run/kinds.ts';
import { runPipeline } from '../../src/run/pipeline.ts';
import { Workspace } from '../../src/run/workspace.ts';
import { sourceRepo } from '../helpers/source-repo.ts';
import { tempDir } from '../helpers/temp.ts';
import { jobRunDefaults } from '../helpers/job-run.ts';

const usable = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-net', 'true']).status === 0;
const real = usable ? test.serial : test.skip;
const why = usable ? '' : ' [skipped: bwrap is not usable here (install bubblewrap)]';

const sh = (name: string, script: string, tree?: 'base'): StepConfig => ({ name, run: ['sh', '-c', script], timeoutSec: 60, sandbox: true, ...(tree ? { tree } : {}) });

async function worker(t: ExecutionContext, env: NodeJS.ProcessEnv = process.env) {
  const dir = tempDir(t);
  const source = await sourceRepo(path.join(dir, 'source'), 2);
  const stateDir = path.join(dir, 'state');
  const config = { ...defaultConfig(), sandbox: 'required' as const };
  const hooks = await workerHooks(config, stateDir, env);
  const workspace = new Workspace(stateDir, { allowLocalRepos: true });
  const run = async (pr: number, steps: StepConfig[]) => {
    const pipeline: PipelineConfig = { kind: 'steps', checkout: true, steps };
    const job = newJob({ repo: source.path, base: source.base, head: source.heads[pr - 1], pipeline: 'p', createdAt: '2026-01-01T00:00:00.000Z' });
    const outcome = await runPipeline({
      job,
      pipeline,
      config,
      workspace,
      ...jobRunDefaults(),
      wrap: hooks.wrap,
      env,
    });
    const logs = Object.fromEntries(Object.entries(outcome.artifacts).map(([name, bytes]) => [name, Buffer.from(bytes).toString('utf8')]));
    return { result: outcome.result, logs };
  };
  return { dir, source, stateDir, workspace, run };
}

real(`a PR that plants a .git with hooks in its tree: the next job's checkout runs nothing and sees a fresh tree${why}`, async (t) => {
  const w = await worker(t);
  const marker = path.join(w.dir, 'hooked');
  const plant = [
    'mkdir -p .git/hooks',
    `printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/post-checkout`,
    'chmod +x .git/hooks/post-checkout',
    `printf '[core]\\n\\thooksPath = .git/hooks\\n\\tfsmonitor = touch ${marker}\\n' > .git/config`,
    'echo ref: refs/heads/x > .git/HEAD',
    'chmod 000 .',
  ].join('; ');
  const first = await w.run(1, [sh('regen', plant)]);
  t.is(first.result.status, 'success', first.result.reason);
  const second = await w.run(2, [sh('show', 'ls -A')]);
  t.is(second.result.status, 'success', second.result.reason);
  t.false(fs.existsSync(marker), 'a hook planted by the first job ran on the host');
  t.deepEqual(second.logs['logs/show.log'].split('\n').filter((line) => line && !line.startsWith('[refci')).sort(), ['README', 'change-2']);
  // Job folders are gone after each job, whatever the step did to their permissions.
  t.deepEqual(fs.readdirSync(path.join(w.stateDir, 'jobs')), []);
  // The mirror's own configuration is untouched.
  const hooksPath = await git(['config', '--get', 'core.hooksPath'], { cwd: w.workspace.mirrorOf(w.source.path), allowFailure: true });
  t.is(hooksPath.stdout, '');
});

real(`PR code reads no host secret: no /etc/shadow, home, other repositories, worker state, /run or environment${why}`, async (t) => {
  const home = tempDir(t);
  fs.writeFileSync(path.join(home, 'secret.txt'), 'home-secret-value\n');
  const otherRepo = tempDir(t);
  fs.mkdirSync(path.join(otherRepo, '.git'));
  fs.writeFileSync(path.join(otherRepo, '.git', 'config'), '[remote "origin"]\n\turl = https://user:other-repo-secret@example.org/x.git\n');
  const env = { ...process.env, HOME: home, GITHUB_TOKEN: 'ghp_environmentsecret000000000000000000' };
  const w = await worker(t, env);
  const probe = [
    'cat /etc/shadow && echo READ-SHADOW',
    `cat ${home}/secret.txt`,
    `cat ${otherRepo}/.git/config`,
    `ls ${w.stateDir}/mirrors && echo SAW-MIRRORS`,
    `ls ${w.source.path} && echo SAW-SOURCE`,
    'ls /run && echo SAW-RUN',
    `for f in $(ls -A ${os.homedir()} 2>/dev/null); do echo "HOME-ENTRY $f"; done`,
    'env',
  ].join('; ');
  const { result, logs } = await w.run(1, [sh('regen', probe)]);
  t.is(result.status, 'success', result.reason);
  const log = logs['logs/regen.log'];
  for (const leak of ['READ-SHADOW', 'home-secret-value', 'other-repo-secret', 'SAW-MIRRORS', 'SAW-SOURCE', 'SAW-RUN', 'environmentsecret']) {
    t.false(log.includes(leak), `${leak} in the step's log:\n${log}`);
  }
  // The worker user's real home shows only the way to tool folders that PATH names there (~/.local/bin), nothing else.
  const real = os.homedir();
  const toolRoots = new Set((process.env.PATH ?? '').split(':').filter((dir) => dir.startsWith(`${real}/`)).map((dir) => dir.slice(real.length + 1).split('/')[0]));
  const seen = [...log.matchAll(/^HOME-ENTRY (.*)$/gm)].map((m) => m[1]);
  t.deepEqual(seen.filter((entry) => !toolRoots.has(entry)), [], log);
});

real(`PR code cannot reach host sockets: not a path socket, not an abstract one${why}`, async (t) => {
  const socketDir = fs.mkdtempSync(path.join('/var/tmp', 'refci-socket-'));
  t.teardown(() => fs.rmSync(socketDir, { recursive: true, force: true }));
  const pathSocket = path.join(socketDir, 'host.sock');
  const abstract = `\0refci-test-${process.pid}-${Date.now()}`;
  const servers = [net.createServer((c) => c.end('HOST-ANSWERED\n')), net.createServer((c) => c.end('HOST-ANSWERED\n'))];
  await Promise.all([new Promise<void>((ok) => servers[0].listen(pathSocket, ok)), new Promise<void>((ok) => servers[1].listen(abstract, ok))]);
  t.teardown(() => servers.forEach((s) => s.close()));
  const connect = (address: string) =>
    `node -e 'require("net").connect(${JSON.stringify(address)}).on("data", (d) => process.stdout.write(String(d))).on("error", (e) => console.log("refused", e.code))'`;
  const w = await worker(t);
  const { result, logs } = await w.run(1, [sh('scan', `${connect(pathSocket)}; ${connect(abstract)}`)]);
  t.is(result.status, 'success', result.reason);
  const log = logs['logs/scan.log'];
  t.false(log.includes('HOST-ANSWERED'), log);
  t.is(log.match(/refused/g)?.length, 2, log);
});

real(`PR code cannot touch the base tree it is judged against, nor leave a cache for the next job${why}`, async (t) => {
  const w = await worker(t);
  const attack = [
    'ls ../base && echo SAW-BASE',
    'echo poisoned > ../base/README && echo WROTE-BASE',
    'echo poisoned > "$XDG_CACHE_HOME/planted" && echo CACHE-WRITABLE',
  ].join('; ');
  const check = ['cat README', 'ls -A "$XDG_CACHE_HOME"', 'echo checked'].join('; ');
  const first = await w.run(1, [sh('regen', attack), sh('regen-base', check, 'base')]);
  t.is(first.result.status, 'success', first.result.reason);
  const attackLog = first.logs['logs/regen.log'];
  t.false(attackLog.includes('SAW-BASE'), attackLog);
  t.false(attackLog.includes('WROTE-BASE'), attackLog);
  t.true(attackLog.includes('CACHE-WRITABLE'), 'the job has a cache of its own');
  const baseLog = first.logs['logs/regen-base.log'];
  t.true(baseLog.includes('base\n'), baseLog);
  t.false(baseLog.includes('poisoned') || baseLog.includes('planted'), baseLog);
  const second = await w.run(2, [sh('regen', 'ls -A "$XDG_CACHE_HOME"; echo listed')]);
  t.false(second.logs['logs/regen.log'].includes('planted'), 'a cache written by one job is seen by the next');
});

real(`PR code run by regen cannot plant a cache for the scan after it on the same tree${why}`, async (t) => {
  const w = await worker(t);
  const plant = 'mkdir -p "$XDG_CACHE_HOME/pkgcheck/repos" && echo poisoned > "$XDG_CACHE_HOME/pkgcheck/repos/profiles.pickle" && echo PLANTED';
  const look = 'ls -R "$XDG_CACHE_HOME"; echo looked';
  const { result, logs } = await w.run(1, [sh('regen', plant), sh('scan-head', look)]);
  t.is(result.status, 'success', result.reason);
  t.true(logs['logs/regen.log'].includes('PLANTED'), logs['logs/regen.log']);
  t.true(logs['logs/scan-head.log'].includes('looked'), logs['logs/scan-head.log']);
  t.false(logs['logs/scan-head.log'].includes('profiles.pickle'), logs['logs/scan-head.log']);
});

test('the sandbox view on this host holds no home, /run or shadow file', async (t) => {
  const { systemMounts, toolFolders } = await import('../../src/host/sandbox-view.ts');
  const paths = systemMounts().map((mount) => mount.path);
  for (const hidden of ['/', '/home', '/root', '/run', '/var', '/etc', '/etc/shadow', '/etc/ssh']) t.false(paths.includes(hidden), hidden);
  t.true(paths.includes('/usr'));
  const home = os.homedir();
  t.deepEqual(toolFolders(`/tmp:${home}:/:relative/bin:/usr/bin:/opt/tools/bin`, home), ['/opt/tools/bin']);
});

real(`PR code sees /etc/portage's repos.conf but not make.conf or signing keys${why}`, async (t) => {
  const { detectSandbox, sandboxArgv } = await import('../../src/host/sandbox.ts');
  const { systemMounts } = await import('../../src/host/sandbox-view.ts');
  const { execa } = await import('execa');
  // A host root of its own whose /etc/portage holds secrets; bound at /etc/portage in the sandbox.
  const root = tempDir(t);
  const portage = path.join(root, 'etc', 'portage');
  fs.mkdirSync(path.join(portage, 'repos.conf'), { recursive: true });
  fs.mkdirSync(path.join(portage, 'gnupg'));
  fs.writeFileSync(path.join(portage, 'repos.conf', 'gentoo.conf'), '[gentoo]\nlocation = /var/db/repos/gentoo\n');
  fs.writeFileSync(path.join(portage, 'make.conf'), 'PORTAGE_BINHOST="https://ci:BINHOST-SECRET@bin.example/"\n');
  fs.writeFileSync(path.join(portage, 'gnupg', 'private.key'), 'SIGNING-SECRET\n');
  const portageMounts = systemMounts(root).filter((mount) => mount.path.startsWith('/etc/portage'));
  t.deepEqual(
    portageMounts.map((mount) => `${mount.kind} ${mount.path}`),
    ['ro-bind /etc/portage', 'mask /etc/portage/make.conf', 'mask /etc/portage/gnupg'],
  );
  const probe = await detectSandbox({ path: process.env.PATH ?? '' });
  const system = [...(probe.system ?? []).filter((mount) => !mount.path.startsWith('/etc/portage')), ...portageMounts];
  const work = tempDir(t);
  const script = 'cat /etc/portage/repos.conf/gentoo.conf; echo "make.conf: [$(cat /etc/portage/make.conf)]"; ls -A /etc/portage/gnupg; echo listed';
  const wrapped = sandboxArgv(['sh', '-c', script], { mode: 'required', probe: { ...probe, system }, writable: [work] });
  const run = await execa(wrapped.argv[0], wrapped.argv.slice(1), { reject: false });
  t.is(run.exitCode, 0, run.stderr);
  t.regex(run.stdout, /location = \/var\/db\/repos\/gentoo/);
  t.regex(run.stdout, /make\.conf: \[\]/);
  t.regex(run.stdout, /listed$/);
  t.false(run.stdout.includes('SECRET'), run.stdout);
});

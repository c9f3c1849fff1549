import fs from 'node:fs';
import path from 'node:path';
import { readConfigCommit } from '../coord/config-branch.ts';
import { defaultConfig } from '../config/defaults.ts';
import { checkConfigFile } from '../config/load.ts';
import { describeProblems } from '../config/schema.ts';
import type { FleetConfig } from '../config/types.ts';
import { CoordClone } from '../coord/clone.ts';
import { writeRecordCommit } from '../git/objects.ts';
import { isRefciError } from '../errors.ts';
import { resolveToken, TOKEN_ENV } from '../forge/token.ts';
import { FORGE_NAMES } from '../forge/types.ts';
import { gitVersion } from '../git/init.ts';
import { isoOf, type Clock } from '../host/clock.ts';
import { signatureFor } from '../protocol/actor.ts';
import { encodeRecord } from '../protocol/codec.ts';
import type { PushResult } from '../git/push.ts';
import { CONFIG_REF, DOCTOR_PREFIX, drainRef, liveRefspecs } from '../protocol/refs.ts';
import { detectSandbox } from '../host/sandbox.ts';
import { masterPaths, sandboxReadable, type SandboxMount } from '../host/sandbox-view.ts';
import { mastersProblems } from './masters-gate.ts';
import { checkCollectorSigning, checkWorkerSigning } from './doctor-signing.ts';
import { toolVersions } from './tool-versions.ts';
import { allowedPipelines, hostKindOf } from './rules.ts';
import { readinessProblem, toolsOf, toolsOfAll, updateCommand, versionProblem } from './versions.ts';
import { scrubSecrets } from '../protocol/scrub.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warning or a failure. */
  fix?: string;
}

export interface DoctorOptions {
  coord?: string;
  stateDir: string;
  /** Names the main host's scratch ref and the commit author. */
  hostId: string;
  /** Names a worker's scratch ref: the coordination repository's hook lets worker W write only refs/ci/doctor/W. */
  workerId: string;
  clock: Clock;
  /** A local configuration file instead of the configuration branch. */
  configFile?: string;
  pipelines?: string[];
  hostKind?: string;
  /** This worker's signing key (--signing-key, REFCI_SIGNING_KEY), as refci work would use it. */
  signingKey?: string;
  /** The main host: forge tokens instead of tools and sandbox. */
  main?: boolean;
  /** Where GITHUB_TOKEN and CODEBERG_TOKEN are looked up (the main host), and what tools and the sandbox probe run with; process.env by default. */
  env?: NodeJS.ProcessEnv;
  minFreeBytes: number;
}

/** git 2.29 has everything refci uses: protocol v2, push --atomic and --force-with-lease, fetch --no-write-fetch-head. */
const MIN_GIT: [number, number] = [2, 29];

/**
 * Checks one host: git, the state folder and its free space, reading from and
 * pushing to the coordination repository (a scratch ref, created and deleted
 * with leases), the configuration, the tools the worker's pipelines need and
 * their wanted versions, and the sandbox. Each failure says how to fix it.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const env = options.env ?? process.env;
  const checks: DoctorCheck[] = [];
  checks.push(await checkGit());
  checks.push(...checkStateDir(options));
  let config: FleetConfig | undefined;
  if (options.configFile) {
    const checked = checkConfigFile(options.configFile, 'overlay');
    if (checked.ok) {
      config = checked.config;
      checks.push({ name: 'configuration', status: 'ok', detail: `${options.configFile} (over the built-in defaults)` });
    } else {
      checks.push({ name: 'configuration', status: 'fail', detail: describeProblems(checked.problems), fix: `refci config check ${options.configFile} lists every problem` });
    }
  }
  if (options.coord) {
    const fromCoord = await checkCoord(options, checks);
    if (!options.configFile) config = fromCoord;
  } else if (!options.configFile) {
    checks.push({ name: 'coordination repository', status: 'warn', detail: 'not checked', fix: 'pass --coord URL to check access and the configuration branch' });
  }
  if (options.main) checks.push(...(await checkForgeTokens(config ?? defaultConfig(), env)));
  if (options.main) checks.push(...(await checkCollectorSigning(config ?? defaultConfig(), env)));
  else checks.push(...(await checkWorkerSigning(config ?? defaultConfig(), options.workerId, options.signingKey, env)));
  if (!options.main) {
    const used = config ?? defaultConfig();
    const pipelines = allowedPipelines(used, options.workerId, options.pipelines);
    checks.push(...(await checkTools(used, pipelines, hostKindOf(used, options.workerId, options.hostKind), env)));
    checks.push(...checkMasters(used, pipelines, options.stateDir));
    checks.push(await checkSandbox(used, pipelines, env));
  }
  return checks;
}

/**
 * The main host's tokens, one per forge whose variable is set: readable, one
 * word. The forge itself is not asked; the first `refci enqueue` says whether
 * it accepts the token. A token file named by the configuration branch is
 * never read (others push that branch): it gets a warning.
 */
async function checkForgeTokens(config: FleetConfig, env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const forge of ['github', 'codeberg'] as const) {
    const fromBranch = (['apiUrl', 'tokenFile'] as const).filter((field) => config.forges[forge]?.[field] !== undefined);
    if (fromBranch.length > 0) {
      checks.push({
        name: `${FORGE_NAMES[forge]} settings`,
        status: 'warn',
        detail: `the configuration branch sets ${fromBranch.map((field) => `forges.${forge}.${field}`).join(' and ')}, which refci ignores`,
        fix: 'give --api-url and --token-file (or the token variable) on the main host, and remove them from config.json',
      });
    }
    if (!env[TOKEN_ENV[forge]]) continue;
    const name = `${FORGE_NAMES[forge]} token`;
    try {
      const token = await resolveToken({ forge, env });
      checks.push({ name, status: 'ok', detail: `from ${token.source}` });
    } catch (error) {
      checks.push({ name, status: 'fail', detail: (error as Error).message, fix: isRefciError(error) && error.hint ? error.hint : 'see docs/forge.md' });
    }
  }
  if (checks.length === 0) {
    checks.push({ name: 'forge tokens', status: 'warn', detail: 'no forge token: GITHUB_TOKEN and CODEBERG_TOKEN are unset and the configuration names no token file', fix: 'only needed to discover pull requests and publish verdicts on a forge (docs/forge.md)' });
  }
  return checks;
}

async function checkGit(): Promise<DoctorCheck> {
  try {
    const line = await gitVersion();
    const [, major, minor] = /(\d+)\.(\d+)/.exec(line) ?? [];
    if (Number(major) > MIN_GIT[0] || (Number(major) === MIN_GIT[0] && Number(minor) >= MIN_GIT[1])) return { name: 'git', status: 'ok', detail: line };
    return { name: 'git', status: 'fail', detail: `${line} is older than ${MIN_GIT.join('.')}`, fix: `install git ${MIN_GIT.join('.')} or newer` };
  } catch (error) {
    return { name: 'git', status: 'fail', detail: `git does not run: ${(error as Error).message}`, fix: 'install git and put it on PATH' };
  }
}

function checkStateDir(options: DoctorOptions): DoctorCheck[] {
  const dir = options.stateDir;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.doctor-${process.pid}`);
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe);
  } catch (error) {
    return [{ name: 'state folder', status: 'fail', detail: `${dir} is not writable: ${(error as NodeJS.ErrnoException).code}`, fix: 'give this user the folder, or move it with --state-dir or REFCI_STATE_DIR' }];
  }
  const stats = fs.statfsSync(dir);
  const free = Number(stats.bavail) * Number(stats.bsize);
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  const disk: DoctorCheck =
    free < options.minFreeBytes
      ? { name: 'disk space', status: 'fail', detail: `${gib(free)} free for ${dir}, less than ${gib(options.minFreeBytes)}`, fix: 'free space there (mirrors and work trees of the source repositories live in it), or move it with REFCI_STATE_DIR' }
      : free < options.minFreeBytes * 4
        ? { name: 'disk space', status: 'warn', detail: `${gib(free)} free for ${dir}`, fix: 'a Gentoo tree mirror with two work trees and their metadata caches takes several GiB' }
        : { name: 'disk space', status: 'ok', detail: `${gib(free)} free for ${dir}` };
  return [{ name: 'state folder', status: 'ok', detail: `${dir} is writable` }, disk];
}

/** Fetch, test push, configuration branch and drain flag; returns the branch's configuration when it is valid. */
async function checkCoord(options: DoctorOptions, checks: DoctorCheck[]): Promise<FleetConfig | undefined> {
  const coord = options.coord!;
  // What the report shows: a password in the URL stays out of it.
  const shown = scrubSecrets(coord);
  const accessFix = 'check the URL; over ssh, that `ssh -o BatchMode=yes <host>` gets in with this user\'s key; over HTTPS, that ~/.netrc holds this host\'s user and password (docs/deploy.md); for a path, that refci init made it';
  let clone: CoordClone;
  try {
    // A clone of its own: a worker using the same state folder may be fetching into coord.git right now.
    clone = await CoordClone.open(path.join(options.stateDir, 'doctor.git'), coord);
    await clone.fetch(liveRefspecs({ config: true, drain: true }));
    checks.push({ name: 'fetch', status: 'ok', detail: `fetched the live refs and the configuration from ${shown}` });
  } catch (error) {
    checks.push({ name: 'fetch', status: 'fail', detail: (error as Error).message, fix: accessFix });
    return undefined;
  }
  checks.push(await testPush(clone, options));
  const tip = await clone.ref(CONFIG_REF);
  let config: FleetConfig | undefined;
  if (!tip) {
    checks.push({ name: 'configuration', status: 'warn', detail: `no ${CONFIG_REF}: hosts run on the built-in defaults`, fix: `refci config init --coord ${shown}` });
  } else {
    const checked = await readConfigCommit(clone.gitdir, tip);
    if (checked.ok) {
      config = checked.config;
      checks.push({ name: 'configuration', status: 'ok', detail: `${CONFIG_REF} at ${tip.slice(0, 12)} is valid` });
    } else {
      checks.push({
        name: 'configuration',
        status: 'fail',
        detail: `${CONFIG_REF} at ${tip.slice(0, 12)} is refused: ${describeProblems(checked.problems)}; workers keep their last valid one`,
        fix: 'fix it with a new commit on the branch; refci config check FILE checks a file before you push',
      });
    }
  }
  if (!options.main && (await clone.ref(drainRef(options.workerId)))) {
    checks.push({ name: 'drain', status: 'warn', detail: `worker ${options.workerId} is drained: it claims nothing`, fix: `refci worker undrain ${options.workerId} --coord ${shown}` });
  }
  return config;
}

async function testPush(clone: CoordClone, options: DoctorOptions): Promise<DoctorCheck> {
  const ref = `${DOCTOR_PREFIX}${options.main ? options.hostId : options.workerId}`;
  const now = options.clock.now();
  const oid = await writeRecordCommit(clone.gitdir, {
    files: { 'doctor.json': encodeRecord({ version: 1, host: options.hostId, at: isoOf(now) }) },
    parents: [],
    message: `doctor ${options.hostId}: test push`,
    author: signatureFor('doctor', options.hostId, now),
  });
  const fix = 'this host needs push access to refs/ci/ of the coordination repository (docs/deploy.md, ssh setup)';
  let created = await clone.push([{ ref, newOid: oid, expect: null }]);
  if (!created.won) {
    // A doctor that died between its two pushes leaves the scratch ref: replace it under a lease.
    const left = await clone.remoteTips([ref]).then((tips) => tips.get(ref), () => undefined);
    if (left) created = await clone.push([{ ref, newOid: oid, expect: left }]);
  }
  if (!created.won) {
    return { name: 'push', status: 'fail', detail: `a test push to ${ref} was refused: ${refusal(created)}`, fix };
  }
  const deleted = await clone.push([{ ref, newOid: null, expect: oid }]);
  if (!deleted.won) {
    return {
      name: 'push',
      status: 'fail',
      detail: `created ${ref} but could not delete it: ${refusal(deleted)}`,
      fix: 'archiving deletes refs: set receive.denyDeletes=false in the coordination repository and allow this host to delete refs/ci/*',
    };
  }
  return { name: 'push', status: 'ok', detail: `created and deleted ${ref} with leases` };
}

/** git's cause, which keeps the remote's own words (a hook's `refci: refused` line). */
function refusal(pushed: PushResult): string {
  return pushed.cause || 'no reason given';
}

async function checkTools(config: FleetConfig, pipelines: string[], hostKind: string, env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  if (pipelines.length === 0) {
    return [{ name: 'pipelines', status: 'warn', detail: 'the configuration gives this worker no pipeline', fix: 'see workers in the configuration, and --pipelines' }];
  }
  const checks: DoctorCheck[] = [{ name: 'pipelines', status: 'ok', detail: `${pipelines.join(', ')} (host kind ${hostKind})` }];
  const versions = await toolVersions(config, toolsOfAll(config, pipelines), env);
  for (const tool of toolsOfAll(config, pipelines)) {
    const users = pipelines.filter((pipeline) => toolsOf(config, pipeline).includes(tool));
    const name = `tool ${tool}`;
    const version = versions[tool] ?? 'missing';
    const spec = config.tools[tool];
    const problem = versionProblem(config, tool, version);
    if (!spec) {
      checks.push({ name, status: 'fail', detail: `pipelines ${users.join(', ')} need it, but tools has no ${tool}`, fix: `add tools.${tool} to the configuration` });
    } else if (problem) {
      const update = updateCommand(config, tool, hostKind);
      checks.push({
        name,
        status: 'fail',
        detail: `${problem}; pipelines ${users.join(', ')} are not claimed until it is`,
        fix: update ? `the worker runs \`${update.join(' ')}\` before it claims; run it by hand to see why it fails` : `install ${tool} ${spec.want}, or add tools.${tool}.update.${hostKind} to the configuration`,
      });
    } else if (version === 'missing') {
      // The same words as the worker's presence and refci status, so the three agree.
      checks.push({ name, status: 'fail', detail: `${readinessProblem(config, tool, version)}; pipelines ${users.join(', ')} are not claimed until it is`, fix: `install ${tool}, or correct tools.${tool}.versionCommand` });
    } else {
      checks.push({ name, status: 'ok', detail: `${version}${spec.want ? ` (wanted ${spec.want})` : ''}` });
    }
  }
  return checks;
}

/** Overlay pipelines: the same lines a worker says when it refuses them (masters-gate.ts). */
function checkMasters(config: FleetConfig, pipelines: string[], stateDir: string): DoctorCheck[] {
  return Object.entries(mastersProblems(config, pipelines, stateDir)).map(([pipeline, why]) => ({
    name: `masters of ${pipeline}`,
    status: 'fail' as const,
    detail: why,
    fix: 'see docs/deploy.md, Overlays',
  }));
}

async function checkSandbox(config: FleetConfig, pipelines: string[], env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const wanted = pipelines.filter((pipeline) => config.pipelines[pipeline]?.steps.some((step) => step.sandbox));
  if (config.sandbox === 'off') return { name: 'sandbox', status: 'ok', detail: 'off in the configuration' };
  if (wanted.length === 0) return { name: 'sandbox', status: 'ok', detail: 'no step of this worker\'s pipelines asks for it' };
  const probe = await detectSandbox({ path: env.PATH ?? '' });
  if (probe.available) {
    const readable = sandboxReadable(masterPaths(config), env);
    const limits = config.sandboxLimits.processes || config.sandboxLimits.memoryMB ? (probe.prlimit ? 'process and memory limits by prlimit' : 'no limits: prlimit is not on PATH') : 'no limits configured';
    const detail = [
      `${probe.version ?? 'bwrap'} works; user namespaces ${probe.userns ? 'allowed' : 'not allowed'}`,
      `steps see no network, no host processes or sockets, no home folder, no worker state (beyond the tool folders below), and write only their own tree and cache`,
      `system folders read-only: ${(probe.system ?? []).filter((mount) => mount.kind !== 'mask').map((mount) => mount.path).join(' ')}`,
      ...maskedLine(probe.system ?? []),
      `tool and master folders read-only: ${readable.join(' ') || 'none'}`,
      limits,
    ].join('; ');
    return { name: 'sandbox', status: 'ok', detail };
  }
  const fix = 'install bubblewrap (bwrap) and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 where that exists)';
  return config.sandbox === 'required'
    ? { name: 'sandbox', status: 'fail', detail: `${probe.reason}; sandbox is required, so pipelines ${wanted.join(', ')} fail`, fix }
    : { name: 'sandbox', status: 'warn', detail: `${probe.reason}; steps of ${wanted.join(', ')} run without it`, fix };
}

/** Host files a step would see through a bound folder but gets empty, named so an admin knows they are safe. */
function maskedLine(mounts: SandboxMount[]): string[] {
  const masked = mounts.filter((mount) => mount.kind === 'mask').map((mount) => mount.path);
  return masked.length > 0 ? [`hidden (empty inside): ${masked.join(' ')}`] : [];
}

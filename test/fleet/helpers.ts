import fs from 'node:fs';
import path from 'node:path';
import { identityEnv } from '../../src/git/identity.ts';
import { git } from '../../src/git/runner.ts';
import { CONFIG_REF } from '../../src/protocol/refs.ts';
import type { Scenario } from '../helpers/coord.ts';
import { recordText } from '../helpers/memory.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const person = identityEnv('An Operator', 'operator@example.org');

/**
 * The configuration branch as a person edits it: a plain git clone of the
 * coordination repository (HEAD is refs/heads/config), an edit of
 * config.json, a commit and a push. Returns the new commit. A repository held
 * in process is fetched from and pushed to through its own calls, the commit
 * made the same way in a plain repository.
 */
export async function editConfig(s: Scenario, edit: (config: Record<string, any>) => void, message: string, extraFiles: Record<string, string> = {}): Promise<string> {
  const work = path.join(s.dir, 'config-work');
  if (s.memory) {
    if (!fs.existsSync(work)) await git(['init', '--quiet', work]);
    await s.memory.fetch(path.join(work, '.git'), [`+${CONFIG_REF}:refs/remotes/origin/config`]);
    await git(['checkout', '--quiet', '-B', 'config', 'refs/remotes/origin/config'], { cwd: work });
  } else if (!fs.existsSync(work)) await git(['clone', '--quiet', s.coordPath, work]);
  else await git(['pull', '--quiet', '--ff-only'], { cwd: work });
  const file = path.join(work, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(config);
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  for (const [name, text] of Object.entries(extraFiles)) fs.writeFileSync(path.join(work, name), text);
  await git(['add', '.'], { cwd: work });
  await git(['commit', '--quiet', '-m', message], { cwd: work, env: person });
  const commit = (await git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
  if (s.memory) {
    const pushed = await s.memory.push(path.join(work, '.git'), [{ ref: CONFIG_REF, newOid: commit, expect: s.memory.tip(CONFIG_REF) ?? null }]);
    if (!pushed.won) throw new Error(`the configuration push failed: ${pushed.cause}`);
  } else await git(['push', '--quiet', 'origin', `HEAD:${CONFIG_REF}`], { cwd: work });
  return commit;
}

/** The commits of a ref's first-parent line, newest first: `git log --first-parent --format=%H`. */
export async function commitsOf(s: Scenario, ref: string): Promise<string[]> {
  if (s.memory) return s.memory.commits(ref, { firstParent: true });
  return (await git(['log', '--first-parent', '--format=%H', ref], { cwd: s.coordPath })).stdout.split('\n').filter(Boolean);
}

export async function refExists(s: Scenario, ref: string): Promise<boolean> {
  if (s.memory) return s.memory.tip(ref) !== undefined;
  return (await git(['rev-parse', '--verify', '--quiet', ref], { cwd: s.coordPath, allowFailure: true })).exitCode === 0;
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A file as `<ref or commit>:<path>` names it. */
export async function readText(s: Scenario, spec: string): Promise<string> {
  if (s.memory) return recordText(s.memory, spec.slice(0, spec.indexOf(':')), spec.slice(spec.indexOf(':') + 1));
  return (await git(['cat-file', 'blob', spec], { cwd: s.coordPath })).stdout;
}

/** A record file as `<ref or commit>:<path>` names it, parsed. */
export async function readJson(s: Scenario, spec: string): Promise<any> {
  return JSON.parse(await readText(s, spec));
}

/** The subject lines of a ref's commits, newest first: `git log --format=%s`. */
export async function subjectsOf(s: Scenario, ref: string): Promise<string[]> {
  if (s.memory) return s.memory.subjects(ref);
  return (await git(['log', '--format=%s', ref], { cwd: s.coordPath })).stdout.split('\n').filter(Boolean);
}

/** A stand-in tool whose `--version` prints `<name> <contents of its version file>`; the update command rewrites the file. */
export function standInTool(dir: string, name: string, version: string): { bin: string; versionFile: string } {
  const versionFile = path.join(dir, `${name}.version`);
  const bin = path.join(dir, name);
  fs.writeFileSync(versionFile, `${version}\n`);
  fs.writeFileSync(bin, `#!/bin/sh\necho "${name} $(cat '${versionFile}')"\n`, { mode: 0o755 });
  return { bin, versionFile };
}

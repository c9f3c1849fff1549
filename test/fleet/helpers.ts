import fs from 'node:fs';
import path from 'node:path';
import { identityEnv } from '../../src/git/identity.ts';
import { git } from '../../src/git/runner.ts';
import type { Scenario } from '../helpers/coord.ts';
import { recordJson } from '../helpers/memory.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const person = identityEnv('An Operator', 'operator@example.org');

/**
 * The configuration branch as a person edits it: a plain git clone of the
 * coordination repository (HEAD is refs/heads/config), an edit of
 * config.json, a commit and a push. Returns the new commit.
 */
export async function editConfig(s: Scenario, edit: (config: Record<string, any>) => void, message: string, extraFiles: Record<string, string> = {}): Promise<string> {
  const work = path.join(s.dir, 'config-work');
  if (!fs.existsSync(work)) await git(['clone', '--quiet', s.coordPath, work]);
  else await git(['pull', '--quiet', '--ff-only'], { cwd: work });
  const file = path.join(work, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(config);
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  for (const [name, text] of Object.entries(extraFiles)) fs.writeFileSync(path.join(work, name), text);
  await git(['add', '.'], { cwd: work });
  await git(['commit', '--quiet', '-m', message], { cwd: work, env: person });
  await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/config'], { cwd: work });
  return (await git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
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

/** A record file as `<ref or commit>:<path>` names it, parsed. */
export async function readJson(s: Scenario, spec: string): Promise<any> {
  if (s.memory) {
    const colon = spec.indexOf(':');
    return recordJson(s.memory, spec.slice(0, colon), spec.slice(colon + 1));
  }
  return JSON.parse((await git(['cat-file', 'blob', spec], { cwd: s.coordPath })).stdout);
}

/** A stand-in tool whose `--version` prints `<name> <contents of its version file>`; the update command rewrites the file. */
export function standInTool(dir: string, name: string, version: string): { bin: string; versionFile: string } {
  const versionFile = path.join(dir, `${name}.version`);
  const bin = path.join(dir, name);
  fs.writeFileSync(versionFile, `${version}\n`);
  fs.writeFileSync(bin, `#!/bin/sh\necho "${name} $(cat '${versionFile}')"\n`, { mode: 0o755 });
  return { bin, versionFile };
}

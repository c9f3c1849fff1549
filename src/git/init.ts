import fs from 'node:fs';
import path from 'node:path';
import { git } from './runner.ts';

/**
 * Creates a bare repository with the given settings. The settings are written
 * into its new config file directly rather than by one `git config` each:
 * every clone, mirror and test repository starts here, and a process per
 * setting was most of the cost of opening one.
 */
export async function initBare(dir: string, config: Record<string, string> = {}): Promise<void> {
  const text = Object.keys(config).length > 0 ? configText(config) : '';
  await git(['init', '--quiet', '--bare', '--', dir]);
  if (text) fs.appendFileSync(path.join(dir, 'config'), text);
}

/**
 * Creates a host's own bare repository (its clone of the coordination
 * repository, its mirror of a source repository) by writing git's layout:
 * config, objects/, refs/ and, last, HEAD, which is how git and refci tell a
 * repository from a folder. No `git init` process: a host opens one for each
 * coordination repository and source repository it meets, a test many, and a
 * process started from a large node process costs 10 to 25 ms of CPU here.
 * Nobody works in these repositories, so git's templates (sample hooks, a
 * description) are left out. A repository others push to is made by
 * `initBare`, the real `git init`.
 */
export function createPrivateBare(dir: string, config: Record<string, string> = {}): void {
  const text = configText({ 'core.repositoryformatversion': '0', 'core.filemode': 'true', 'core.bare': 'true', ...config });
  for (const sub of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config'), text);
  fs.writeFileSync(path.join(dir, 'HEAD'), 'ref: refs/heads/master\n');
}

/**
 * Settings as git config file text: `section.key` and `section.sub.key`
 * names, values quoted (git reads a later section of the same name as more
 * of it, and a later value of a key as the one in force).
 */
function configText(config: Record<string, string>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(config)) {
    const first = name.indexOf('.');
    const last = name.lastIndexOf('.');
    if (first <= 0 || last === name.length - 1) throw new Error(`not a git setting name: ${JSON.stringify(name)}`);
    const section = name.slice(0, first);
    const key = name.slice(last + 1);
    const header = first === last ? `[${section}]` : `[${section} "${quoted(name.slice(first + 1, last))}"]`;
    lines.push(header, `\t${key} = "${quoted(value)}"`);
  }
  return `${lines.join('\n')}\n`;
}

function quoted(text: string): string {
  if (/[\n\0]/.test(text)) throw new Error(`a git setting cannot hold a line break: ${JSON.stringify(text)}`);
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** Creates a repository with a work tree on the given branch. */
export async function initWorkTree(dir: string, branch: string): Promise<void> {
  await git(['init', '--quiet', `--initial-branch=${branch}`, '--', dir]);
}

/** The installed git's version line (`git version 2.39.5`). */
export async function gitVersion(): Promise<string> {
  return (await git(['--version'])).stdout.trim();
}

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

import { git } from './runner.ts';

/** Creates a bare repository with the given settings (`git config name value` each). */
export async function initBare(dir: string, config: Record<string, string> = {}): Promise<void> {
  await git(['init', '--quiet', '--bare', '--', dir]);
  for (const [name, value] of Object.entries(config)) await setConfig(dir, name, value);
}

/** Creates a repository with a work tree on the given branch. */
export async function initWorkTree(dir: string, branch: string): Promise<void> {
  await git(['init', '--quiet', `--initial-branch=${branch}`, '--', dir]);
}

export async function setConfig(repo: string, name: string, value: string): Promise<void> {
  await git(['config', '--', name, value], { cwd: repo });
}

/** The installed git's version line (`git version 2.39.5`). */
export async function gitVersion(): Promise<string> {
  return (await git(['--version'])).stdout.trim();
}

import fs from 'node:fs';
import path from 'node:path';
import { profileName, reposConfText, type RepoLocation } from '../gentoo/repos-conf.ts';

/** The portage configuration folder of each tree of a job: in the job's folder, beside the trees, never inside one a step writes. */
export function portageConfigDirs(jobDir: string): { merged: string; base: string } {
  return { merged: path.join(jobDir, 'portage', 'merged'), base: path.join(jobDir, 'portage', 'base') };
}

/**
 * Writes a portage configuration folder for pkgcore's `--config`: repos.conf
 * (reposConfText) and make.profile, which pkgcore needs to build its domain.
 * The profile is the host's own (/etc/portage/make.profile) by name, taken
 * from the job's main repository when that has it, so a mirrored gentoo
 * master brings its own profiles; else the host's link as it is. No make.conf:
 * pkgcore takes its defaults, and the host's may hold credentials.
 */
export function writePortageConfig(dir: string, tree: RepoLocation, masters: readonly RepoLocation[], hostProfile = '/etc/portage/make.profile'): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'repos.conf'), reposConfText(tree, masters));
  const link = path.join(dir, 'make.profile');
  fs.rmSync(link, { force: true });
  let resolved: string | undefined;
  try {
    resolved = fs.realpathSync(hostProfile);
  } catch {
    return;
  }
  const name = profileName(resolved);
  const main = masters[0]?.location ?? tree.location;
  const own = name ? path.join(main, 'profiles', name) : undefined;
  fs.symlinkSync(own && fs.existsSync(own) ? own : hostProfile, link);
}

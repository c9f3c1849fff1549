/**
 * The repos.conf a worker writes for each tree of a job: the checked tree
 * under its own name and each master at the location the job reads it from,
 * in pkgcore's (and portage's) INI form. `main-repo` is the first master (the
 * repository the others build on, gentoo for most overlays), or the tree
 * itself when it has none; pkgcore refuses a repos.conf whose main-repo is
 * not one of its sections.
 */
export interface RepoLocation {
  name: string;
  location: string;
}

export function reposConfText(tree: RepoLocation, masters: readonly RepoLocation[]): string {
  const main = masters[0]?.name ?? tree.name;
  const lines = ['# Written by the refci worker for one job; pmaint and pkgcheck read it with --config.', '[DEFAULT]', `main-repo = ${main}`, ''];
  for (const repo of [...masters, tree]) {
    lines.push(`[${repo.name}]`, `location = ${repo.location}`, '');
  }
  return lines.join('\n');
}

/** The name of a profile relative to its repository's profiles folder (`default/linux/amd64/23.0`), or undefined when the path is not inside one. */
export function profileName(profilePath: string): string | undefined {
  const at = profilePath.lastIndexOf('/profiles/');
  return at < 0 ? undefined : profilePath.slice(at + '/profiles/'.length).replace(/\/+$/, '') || undefined;
}

/**
 * Pure reading of `metadata/layout.conf` (GLEP 82): `key = value` lines.
 * Scoping needs `masters`: the repositories whose categories, eclasses and
 * profiles an overlay builds on. pkgcore takes the union of the repository's
 * and its masters' categories, so refci must know the masters too.
 */

/** `key = value` pairs; `#` comments and blank lines skipped; the last of a repeated key wins. */
export function parseLayoutConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const match = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(raw.replace(/#.*/, ''));
    if (match) out[match[1]] = match[2];
  }
  return out;
}

/**
 * The masters a layout.conf names, in order. A repository that names itself
 * (gentoo's own `masters =` is empty, but some overlays list their own name)
 * does not need itself.
 */
export function layoutMasters(text: string, ownName?: string): string[] {
  const value = parseLayoutConf(text).masters ?? '';
  return value.split(/\s+/).filter((name) => name !== '' && name !== ownName);
}

/** Master names the repository needs that the pipeline does not configure, in the repository's order. */
export function missingMasters(named: readonly string[], configured: Readonly<Record<string, unknown>> | undefined): string[] {
  return named.filter((name) => !configured || !Object.hasOwn(configured, name));
}

/** The one line a worker and `refci doctor` say when a pipeline's repository names a master the configuration lacks. */
export function missingMastersLine(pipeline: string, missing: readonly string[]): string {
  const names = missing.join(', ');
  const fix = missing.map((name) => `pipelines.${pipeline}.masters.${name}.path`).join(' and ');
  return `metadata/layout.conf of pipeline ${pipeline}'s repository names master${missing.length === 1 ? '' : 's'} ${names}, which the configuration does not give; set ${fix} to the master's checkout (docs/deploy.md, Overlays)`;
}

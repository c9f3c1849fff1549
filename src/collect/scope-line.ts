/**
 * What was checked, in one line for a contributor, from the scope the worker
 * recorded (`details.scope` of a gentoo result): "3 packages: app-misc/hello
 * (changed); dev-libs/a, dev-libs/b (inherit foo.eclass); eclass foo;
 * repository-level checks". The reasons come from a worker: only their
 * shapes are used, and the line is escaped where it is shown. Pure.
 */
const LISTED = 8;

interface RecordedScope {
  mode?: unknown;
  targets?: unknown;
  eclasses?: unknown;
  repoLevel?: unknown;
  reasons?: unknown;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

function whyOf(reasons: unknown, target: string): string {
  if (!Array.isArray(reasons)) return 'changed';
  for (const reason of reasons as Array<{ target?: unknown; why?: unknown }>) {
    if (reason?.target !== target || typeof reason.why !== 'string') continue;
    const inherit = /^inherits ([A-Za-z0-9_.+-]+\.eclass)/.exec(reason.why);
    if (inherit) return `inherit ${inherit[1]}`;
    if (reason.why.startsWith('changed')) return 'changed';
  }
  return 'changed';
}

export function scopeLine(details: Record<string, unknown>): string | undefined {
  const scope = details.scope as RecordedScope | undefined;
  if (!scope || typeof scope !== 'object') return undefined;
  if (scope.mode === 'full') return 'the whole repository';
  const targets = strings(scope.targets);
  const groups = new Map<string, string[]>();
  for (const target of targets) {
    const why = whyOf(scope.reasons, target);
    groups.set(why, [...(groups.get(why) ?? []), target]);
  }
  const parts: string[] = [];
  if (targets.length > 0) {
    let left = LISTED;
    const listed = [...groups].map(([why, atoms]) => {
      const shown = atoms.slice(0, Math.max(0, left));
      left -= shown.length;
      const more = atoms.length - shown.length;
      return shown.length ? `${shown.join(', ')}${more ? ` and ${more} more` : ''} (${why})` : `${more} more (${why})`;
    });
    parts.push(`${targets.length} package${targets.length === 1 ? '' : 's'}: ${listed.join('; ')}`);
  }
  const eclasses = strings(scope.eclasses);
  if (eclasses.length > 0) parts.push(`eclass${eclasses.length === 1 ? '' : 'es'} ${eclasses.join(', ')}`);
  if (scope.repoLevel === true) parts.push('repository-level checks');
  return parts.length ? parts.join('; ') : undefined;
}

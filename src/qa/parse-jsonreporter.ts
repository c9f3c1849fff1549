/**
 * `pkgcheck scan -R JsonReporter`: one JSON object per line, nested by scope,
 * `{"<cat>": {"<pkg>": {"<ver>": {"_<level>": {"<Keyword>": "<desc>"}}}}}`;
 * repository, eclass, profile and commit results are `{"_<level>": {...}}`.
 * Before about pkgcheck 0.7.7 the desc was a one-element list. A line merged
 * from several results (jq `reduce . * $x`) is read as all of them.
 */
import { publicKeyword } from './aliases.ts';
import { scopeOfLocation, type Finding, type Location } from './types.ts';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A `_<level>` entry: an object whose values are all a desc (string or list of strings). */
function isLevelEntry(key: string, value: unknown): value is Obj {
  if (!key.startsWith('_') || key.length < 2 || !isObject(value)) return false;
  return Object.values(value).every(
    (d) => typeof d === 'string' || (Array.isArray(d) && d.every((x) => typeof x === 'string')),
  );
}

const LOCATION_FIELDS = ['category', 'package', 'version'] as const;

/** Read one JsonReporter record (already JSON-parsed): its findings, and what in it could not be read. */
export function findingsFromJsonReporter(value: Obj, line: number): { findings: Finding[]; problems: string[] } {
  const findings: Finding[] = [];
  const problems: string[] = [];
  const problem = (message: string): void => {
    problems.push(message);
  };

  const walk = (node: Obj, location: Location, depth: number): void => {
    for (const [key, child] of Object.entries(node)) {
      if (isLevelEntry(key, child)) {
        const level = key.slice(1);
        for (const [name, desc] of Object.entries(child)) {
          const descs = typeof desc === 'string' ? [desc] : (desc as string[]);
          if (descs.length === 0) problem(`empty description list for ${name} at ${JSON.stringify(location)}`);
          for (const message of descs) {
            const keyword = publicKeyword(name);
            const finding: Finding = {
              keyword,
              level,
              scope: scopeOfLocation(location),
              location: { ...location },
              message,
              format: 'JsonReporter',
              line,
            };
            if (keyword !== name) finding.sourceClass = name;
            findings.push(finding);
          }
        }
      } else if (depth < LOCATION_FIELDS.length && isObject(child)) {
        walk(child, { ...location, [LOCATION_FIELDS[depth]!]: key }, depth + 1);
      } else {
        problem(`unexpected entry ${JSON.stringify(key)} at ${depth === 0 ? 'top level' : JSON.stringify(location)}`);
      }
    }
  };
  walk(value, {}, 0);
  if (findings.length === 0 && problems.length === 0) problem('no result in this record');
  return { findings, problems };
}

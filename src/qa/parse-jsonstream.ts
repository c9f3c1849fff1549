/**
 * `pkgcheck scan -R JsonStream`: one JSON object per line,
 * `{"__class__": "<PythonClass>", <every public attribute>}`; no level, no message.
 */
import { publicKeyword } from './aliases.ts';
import { PROFILE_KEYWORDS } from './profile-keywords.ts';
import type { Finding, Location, Scope } from './types.ts';

type Record_ = Record<string, unknown>;

const isString = (v: unknown): v is string => typeof v === 'string';

/** Read one JsonStream record (already JSON-parsed). Returns a problem string when it is not one. */
export function findingFromJsonStream(record: Record_, line: number): Finding | string {
  const cls = record.__class__;
  if (!isString(cls) || cls === '') return 'JsonStream record without a "__class__" string';
  const keyword = publicKeyword(cls);
  const attributes: Record_ = {};
  for (const [k, v] of Object.entries(record)) if (k !== '__class__') attributes[k] = v;

  const location: Location = {};
  let scope: Scope;
  const take = (name: string, field: keyof Location): void => {
    location[field] = attributes[name] as string;
    delete attributes[name];
  };
  if (isString(attributes.category)) {
    take('category', 'category');
    scope = 'category';
    if (isString(attributes.package)) {
      take('package', 'package');
      scope = 'package';
      if (isString(attributes.version)) {
        take('version', 'version');
        scope = 'version';
      }
    }
  } else if (isString(attributes.eclass)) {
    take('eclass', 'eclass');
    scope = 'eclass';
  } else if (isString(attributes.commit)) {
    take('commit', 'commit');
    scope = 'commit';
  } else if (PROFILE_KEYWORDS.has(keyword)) {
    scope = 'profile';
    if (isString(attributes.path)) take('path', 'profile');
    else if (isString(attributes.profile)) take('profile', 'profile');
  } else {
    scope = 'repo';
  }
  const finding: Finding = { keyword, scope, location, attributes, format: 'JsonStream', line };
  if (cls !== keyword) finding.sourceClass = cls;
  return finding;
}

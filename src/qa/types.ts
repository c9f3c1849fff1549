/**
 * The finding model: one result reported by pkgcheck, in whichever reporter
 * format it was read from. Pure data; no I/O anywhere under src/qa/.
 */

/** The pkgcheck reporters whose output refci reads. */
export type PkgcheckFormat = 'JsonStream' | 'JsonReporter' | 'XmlReporter';

/** What a result is about, as pkgcheck scopes it. */
export type Scope = 'repo' | 'category' | 'package' | 'version' | 'eclass' | 'profile' | 'commit';

/**
 * Where a finding is. Only the fields its scope needs are set. XmlReporter and
 * JsonReporter carry category/package/version only: their eclass, profile and
 * commit results arrive without location (scope `repo`, the name is in the message).
 */
export interface Location {
  category?: string;
  package?: string;
  version?: string;
  eclass?: string;
  /** Profile path (profile-scope JsonStream results: the `path` or `profile` attribute). */
  profile?: string;
  commit?: string;
}

/** pkgcheck levels; JsonReporter is the only reporter that states them. */
export type Level = 'error' | 'warning' | 'style' | 'info' | (string & {});

export interface Finding {
  /** Public keyword name (`UnquotedVariable`, never `EbuildUnquotedVariable`). */
  keyword: string;
  /** The name as written in the input when it differs from `keyword` (a Python class name). */
  sourceClass?: string;
  level?: Level;
  scope: Scope;
  location: Location;
  /** JsonStream: the result's own public attributes, location attributes removed. */
  attributes?: Record<string, unknown>;
  /** JsonReporter/XmlReporter: the result's description. */
  message?: string;
  /**
   * JsonStream: pkgcheck's description from a JsonReporter replay of the same
   * scan, for people only; unlike `message` it is no part of the finding key.
   */
  description?: string;
  format: PkgcheckFormat;
  /** 1-based line of the input where the finding starts. */
  line: number;
}

/** A line or record that could not be read; never dropped silently. */
export interface ParseProblem {
  /** 1-based line number in the input. */
  line: number;
  message: string;
  /** The offending text, cut to at most 200 characters. */
  text: string;
}

export interface ParseResult {
  /** `empty` when the input holds nothing but blanks; `unknown` when it is none of the three formats. */
  format: PkgcheckFormat | 'empty' | 'unknown';
  findings: Finding[];
  problems: ParseProblem[];
}

export function excerpt(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The scope implied by a category/package/version location (message formats). */
export function scopeOfLocation(location: Location): Scope {
  if (location.category !== undefined && location.package !== undefined && location.version !== undefined) return 'version';
  if (location.category !== undefined && location.package !== undefined) return 'package';
  if (location.category !== undefined) return 'category';
  return 'repo';
}

/** `dev-libs/foo-0`, `dev-libs/foo`, `dev-libs`, `eclass foo`, … for humans. */
export function describeLocation(location: Location): string {
  const { category, package: pkg, version } = location;
  if (category !== undefined && pkg !== undefined && version !== undefined) return `${category}/${pkg}-${version}`;
  if (category !== undefined && pkg !== undefined) return `${category}/${pkg}`;
  if (category !== undefined) return category;
  if (location.eclass !== undefined) return `eclass ${location.eclass}`;
  if (location.profile !== undefined) return `profile ${location.profile}`;
  if (location.commit !== undefined) return `commit ${location.commit}`;
  return 'repository';
}

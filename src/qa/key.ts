/**
 * The finding key: a stable string identity for a finding, the same for the
 * same finding in every scan that uses the same reporter. The contract is in
 * docs/protocol.md section 9; keep the two in step.
 *
 *   key    = keyword " " place " " detail
 *   place  = scope ":" location path      (version:dev-libs/foo/0, repo:, …)
 *   detail = "attrs:" canonical JSON of the normalised attributes   (JsonStream)
 *          | "msg:" normalised message                              (JsonReporter, XmlReporter)
 */
import type { Finding, Location } from './types.ts';

/** Attributes that carry a count or position that changes between runs, masked in every keyword. */
const ALWAYS_MASKED = ['lineno', 'lines', 'age'] as const;
/** Attributes naming the representative profile of a result collapsed across profiles (it has `num_profiles`). */
const PROFILE_REPRESENTATIVE = ['profile', 'keyword', 'arch', 'profile_deprecated'] as const;

const MASK = '*';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value
      .map(canonical)
      .map((v) => [JSON.stringify(v), v] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, v]) => v);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** The normalised attributes of a JsonStream finding: volatile ones masked, lists sorted, keys sorted. */
export function normaliseAttributes(attributes: Record<string, unknown>): Record<string, unknown> {
  const attrs: Record<string, unknown> = { ...attributes };
  const collapsed = Object.hasOwn(attrs, 'num_profiles');
  delete attrs.num_profiles;
  const mask = (name: string): void => {
    if (Object.hasOwn(attrs, name) && attrs[name] !== null) attrs[name] = MASK;
  };
  ALWAYS_MASKED.forEach(mask);
  if (collapsed) PROFILE_REPRESENTATIVE.forEach(mask);
  return canonical(attrs) as Record<string, unknown>;
}

/** Keyword-specific message rewrites for the parts that name a representative profile or a time. */
const MESSAGE_RULES: ReadonlyArray<readonly [RegExp, RegExp, string]> = [
  // NonsolvableDeps*: "nonsolvable depset(depend) keyword(amd64) deprecated stable profile (p) (2 total): …"
  [/^NonsolvableDeps/, /keyword\([^)]*\)/g, `keyword(${MASK})`],
  [/^NonsolvableDeps/, /(?:deprecated )?(\S+) profile \([^)]*\)/g, `$1 profile (${MASK})`],
  // VisibleVcsPkg: 'VCS version visible for KEYWORDS="amd64", profile default/amd64 (2 total)'
  [/^VisibleVcsPkg$/, /KEYWORDS="[^"]*", profile \S+/g, `KEYWORDS="${MASK}", profile ${MASK}`],
  // UnstatedIuse: "attr(rdepend): profile 'default/amd64' (2 total): unstated flag: [ used ]"
  [/^UnstatedIuse$/, /profile (?:'[^']*'|"[^"]*")/g, `profile ${MASK}`],
  // RequiredUseDefaults: "keyword: amd64, profile: 'p', default USE: […]" or "profile: 'p' (2 total) failed …"
  [/^RequiredUseDefaults$/, /keyword: [^,]*, profile: (?:'[^']*'|"[^"]*"|\S+)/g, `keyword: ${MASK}, profile: ${MASK}`],
  [/^RequiredUseDefaults$/, /^profile: (?:'[^']*'|"[^"]*"|\S+)/g, `profile: ${MASK}`],
  // OutdatedProfilePackage: "…, last match removed 1.52 years ago"
  [/^OutdatedProfilePackage$/, /last match removed [\d.]+ years ago/g, `last match removed ${MASK} years ago`],
  // StableRequest: "slot(0) no change in 45 days for unstable keyword: [ ~amd64 ]"
  [/^StableRequest$/, /no change in \d+ days/g, `no change in ${MASK} days`],
];

/** The normalised message of a JsonReporter/XmlReporter finding. */
export function normaliseMessage(keyword: string, message: string): string {
  let m = message.replace(/\s+/g, ' ').trim();
  m = m.replace(/ ?\(\d+ total\)/g, '');
  m = m.replace(/\blines?:? \d+(?:, \d+)*/g, `line ${MASK}`);
  for (const [kw, pattern, replacement] of MESSAGE_RULES) {
    if (kw.test(keyword)) m = m.replace(pattern, replacement);
  }
  m = m.replace(/\[ ([^[\]]*?) \]/g, (_all, items: string) => `[ ${items.split(', ').sort().join(', ')} ]`);
  return m;
}

const encodePart = (s: string): string => s.replace(/[%\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

/** `version:dev-libs/foo/0`, `package:dev-libs/foo`, `category:dev-libs`, `eclass:git-r3`, `profile:<path>`, `commit:<sha>`, `repo:`. */
export function placeOf(finding: Pick<Finding, 'scope' | 'location'>): string {
  const l: Location = finding.location;
  const parts: Array<string | undefined> = (() => {
    switch (finding.scope) {
      case 'version':
        return [l.category, l.package, l.version];
      case 'package':
        return [l.category, l.package];
      case 'category':
        return [l.category];
      case 'eclass':
        return [l.eclass];
      case 'profile':
        return [l.profile];
      case 'commit':
        return [l.commit];
      case 'repo':
        return [];
    }
  })();
  return `${finding.scope}:${parts.map((p) => encodePart(p ?? '')).join('/')}`;
}

/** `attrs:{…}` for a JsonStream finding, `msg:…` for a message-based one. */
export function detailOf(finding: Pick<Finding, 'keyword' | 'attributes' | 'message'>): string {
  if (finding.message !== undefined) return `msg:${normaliseMessage(finding.keyword, finding.message)}`;
  return `attrs:${JSON.stringify(normaliseAttributes(finding.attributes ?? {}))}`;
}

export function findingKey(finding: Pick<Finding, 'keyword' | 'scope' | 'location' | 'attributes' | 'message'>): string {
  return `${finding.keyword} ${placeOf(finding)} ${detailOf(finding)}`;
}

/**
 * The coarse key: keyword and category/package/version only. Used solely to
 * pair an attribute-based finding with a message-based one when base and
 * head were written by different reporters.
 */
export function coarseKey(finding: Pick<Finding, 'keyword' | 'location'>): string {
  const { category = '', package: pkg = '', version = '' } = finding.location;
  return `${finding.keyword} ${[category, pkg, version].map(encodePart).join('/')}`;
}

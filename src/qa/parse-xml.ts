/**
 * `pkgcheck scan -R XmlReporter`: `<checks>`, then one
 * `<result>[<category>][<package>][<version>]<class>…</class><msg>…</msg></result>`
 * per line, then `</checks>`. pkgcheck escapes `&`, `<` and `>` in class and msg.
 * Read without an XML library: a result may span lines, several files may be
 * concatenated (several `<checks>` roots); anything else that is not blank is
 * reported as a problem with its line number.
 */
import { publicKeyword } from './aliases.ts';
import { excerpt, scopeOfLocation, type Finding, type Location, type ParseProblem, type ParseResult } from './types.ts';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decode XML character and the five predefined entity references; null when one is unknown. */
export function decodeXmlText(text: string): string | null {
  let bad = false;
  const out = text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (match, ref: string | undefined) => {
    if (ref === undefined) {
      bad = true;
      return match;
    }
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff) {
        bad = true;
        return match;
      }
      return String.fromCodePoint(code);
    }
    if (Object.hasOwn(ENTITIES, ref)) return ENTITIES[ref]!;
    bad = true;
    return match;
  });
  return bad ? null : out;
}

const CHILD = /<(category|package|version|class|msg)(?:\s*\/>|>([^<]*)<\/\1\s*>)|<([a-zA-Z_][\w.-]*)[^>]*>/gy;

function readResult(body: string): { fields: Record<string, string> } | { error: string } {
  const fields: Record<string, string> = {};
  CHILD.lastIndex = 0;
  let pos = 0;
  while (pos < body.length) {
    const ws = /\s*/y;
    ws.lastIndex = pos;
    ws.exec(body);
    pos = ws.lastIndex;
    if (pos >= body.length) break;
    CHILD.lastIndex = pos;
    const m = CHILD.exec(body);
    if (!m) return { error: `unreadable content in <result>: ${JSON.stringify(excerpt(body.slice(pos), 60))}` };
    if (m[3] !== undefined) return { error: `unexpected element <${m[3]}> in <result>` };
    const name = m[1]!;
    if (Object.hasOwn(fields, name)) return { error: `<${name}> appears twice in <result>` };
    const decoded = decodeXmlText(m[2] ?? '');
    if (decoded === null) return { error: `bad entity reference in <${name}>` };
    fields[name] = decoded;
    pos = CHILD.lastIndex;
  }
  return { fields };
}

export function parseXmlReporter(text: string): ParseResult {
  const findings: Finding[] = [];
  const problems: ParseProblem[] = [];
  // Line starts, to turn an offset into a 1-based line number.
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const lineText = (offset: number): string => {
    const n = lineAt(offset);
    const end = n < lineStarts.length ? lineStarts[n]! - 1 : text.length;
    return text.slice(lineStarts[n - 1]!, end);
  };
  const problem = (offset: number, message: string): void => {
    problems.push({ line: lineAt(offset), message, text: excerpt(lineText(offset)) });
  };

  const TOKEN = /\s+|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<checks\s*>|<\/checks\s*>|<checks\s*\/>|<result\s*>((?:(?!<result[\s>/])[\s\S])*?)<\/result\s*>/y;
  let pos = 0;
  while (pos < text.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (m) {
      if (m[1] !== undefined) {
        const r = readResult(m[1]);
        if ('error' in r) problem(pos, r.error);
        else {
          const f = r.fields;
          if (f.class === undefined || f.class === '') problem(pos, '<result> without <class>');
          else if (f.msg === undefined) problem(pos, '<result> without <msg>');
          else {
            const location: Location = {};
            for (const name of ['category', 'package', 'version'] as const) {
              if (f[name] !== undefined && f[name] !== '') location[name] = f[name];
            }
            const keyword = publicKeyword(f.class);
            const finding: Finding = {
              keyword,
              scope: scopeOfLocation(location),
              location,
              message: f.msg,
              format: 'XmlReporter',
              line: lineAt(pos + m[0].search(/\S/)),
            };
            if (keyword !== f.class) finding.sourceClass = f.class;
            findings.push(finding);
          }
        }
      }
      pos = TOKEN.lastIndex;
      continue;
    }
    // Unreadable: report this line (or the rest of this line) and go on at the next one.
    const n = lineAt(pos);
    const next = n < lineStarts.length ? lineStarts[n]! : text.length;
    const rest = text.slice(pos, next).replace(/\r?\n$/, '');
    problems.push({
      line: n,
      message: rest.startsWith('<result') ? '<result> without a closing </result>' : 'not part of a pkgcheck XmlReporter document',
      text: excerpt(rest),
    });
    pos = next;
  }
  return { format: 'XmlReporter', findings, problems };
}

/**
 * Read pkgcheck output in any of the three machine formats, detected from the
 * content: XmlReporter starts with `<`; a JSON line with `"__class__"` is
 * JsonStream, any other JSON object line is JsonReporter (decided line by
 * line, so a concatenation of both still reads). Every line that cannot be
 * read comes back as a problem with its line number.
 */
import { findingsFromJsonReporter } from './parse-jsonreporter.ts';
import { findingFromJsonStream } from './parse-jsonstream.ts';
import { parseXmlReporter } from './parse-xml.ts';
import { excerpt, type Finding, type ParseProblem, type ParseResult, type PkgcheckFormat } from './types.ts';

export function detectFormat(text: string): PkgcheckFormat | 'empty' | 'unknown' {
  const body = text.replace(/^\uFEFF/, '');
  const first = body.search(/\S/);
  if (first < 0) return 'empty';
  if (body[first] === '<') return 'XmlReporter';
  if (body[first] !== '{') return 'unknown';
  const firstLine = body.slice(first).split(/\r?\n/, 1)[0]!;
  return /"__class__"\s*:/.test(firstLine) ? 'JsonStream' : 'JsonReporter';
}

function parseJsonLines(text: string, format: PkgcheckFormat): ParseResult {
  const findings: Finding[] = [];
  const problems: ParseProblem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = i + 1;
    if (raw.trim() === '') continue;
    const problem = (message: string): void => {
      problems.push({ line, message, text: excerpt(raw) });
    };
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problem(`invalid JSON: ${(error as Error).message}`);
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problem('expected a JSON object');
      continue;
    }
    const record = value as Record<string, unknown>;
    if (Object.hasOwn(record, '__class__')) {
      const r = findingFromJsonStream(record, line);
      if (typeof r === 'string') problem(r);
      else findings.push(r);
    } else {
      const r = findingsFromJsonReporter(record, line);
      findings.push(...r.findings);
      r.problems.forEach(problem);
    }
  }
  return { format, findings, problems };
}

export function parsePkgcheckOutput(text: string): ParseResult {
  const body = text.replace(/^\uFEFF/, '');
  const format = detectFormat(body);
  switch (format) {
    case 'empty':
      return { format, findings: [], problems: [] };
    case 'XmlReporter':
      return parseXmlReporter(body);
    case 'JsonStream':
    case 'JsonReporter':
      return parseJsonLines(body, format);
    case 'unknown': {
      const problems: ParseProblem[] = [];
      body.split(/\r?\n/).forEach((raw, i) => {
        if (raw.trim() !== '') {
          problems.push({
            line: i + 1,
            message: 'not pkgcheck JsonStream, JsonReporter or XmlReporter output',
            text: excerpt(raw),
          });
        }
      });
      return { format, findings: [], problems };
    }
  }
}

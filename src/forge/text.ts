/** Small pure helpers shared by both forge clients. */

/** GitHub refuses a status description longer than this (422); Forgejo takes it too. */
export const STATUS_DESCRIPTION_MAX = 140;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * One line of at most `max` characters, whichever way the forge counts them: the result is at
 * most `max` UTF-16 code units (so also at most `max` code points), cut between grapheme
 * clusters (never inside a surrogate pair, an emoji sequence or before a combining mark), with
 * `…` marking the cut.
 */
export function cutDescription(text: string, max = STATUS_DESCRIPTION_MAX): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  const ellipsis = '…';
  let out = '';
  for (const { segment } of segmenter.segment(line)) {
    if (out.length + segment.length > max - ellipsis.length) break;
    out += segment;
  }
  return `${out.trimEnd()}${ellipsis}`;
}

/** The hidden marker of refci's report comment for one status context. */
export function reportMarker(context: string): string {
  const safe = context.replace(/--+/g, '-').replace(/[<>\r\n]/g, '').trim();
  return `<!-- refci:report ${safe} -->`;
}

/** The body refci writes: the marker on the first line unless the body already holds it. */
export function withMarker(marker: string, body: string): string {
  return body.includes(marker) ? body : `${marker}\n${body}`;
}

/** Bodies compared the way the forges store them (CRLF may come back for LF, trailing space dropped). */
export function sameBody(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n?/g, '\n').trimEnd();
  return norm(a) === norm(b);
}

/** The `rel="next"` target of an RFC 8288 Link header, if any. */
export function linkNext(link: string | null | undefined): string | undefined {
  return linkRel(link, 'next');
}

/** The URL of a Link header entry with this rel (`next`, `last`, …). */
export function linkRel(link: string | null | undefined, rel: string): string | undefined {
  if (!link) return undefined;
  const wanted = new RegExp(`\\brel="?([^";]*\\s)?${rel}(\\s[^";]*)?"?`);
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match && wanted.test(match[2]!)) return match[1];
  }
  return undefined;
}

/** The page number the Link header's `last` entry names, when it names one. */
export function lastPage(link: string | null | undefined): number | undefined {
  const url = linkRel(link, 'last');
  if (!url) return undefined;
  const page = Number(/[?&]page=(\d+)/.exec(url)?.[1]);
  return Number.isInteger(page) && page > 0 ? page : undefined;
}

/** The trailing number of a URL path (`…/issues/12`, `…/pull/12#issuecomment-3`). */
export function trailingNumber(url: string | null | undefined): number | undefined {
  if (!url) return undefined;
  const match = /\/(\d+)(?:[#?].*)?$/.exec(url);
  return match ? Number(match[1]) : undefined;
}

export function sameLogin(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The hidden line that tells which verdict a report comment shows, read back at the next report. */
export function verdictMarker(status: string): string {
  return `<!-- refci:verdict ${status.replace(/[^a-z-]/g, '')} -->`;
}

/** The verdict a report comment showed, from its marker; undefined for a comment without one. */
export function markedVerdict(body: string | undefined): string | undefined {
  return /<!-- refci:verdict ([a-z-]+) -->/.exec(body ?? '')?.[1];
}

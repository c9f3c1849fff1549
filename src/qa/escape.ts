/** Escaping for text that comes from pkgcheck (or anyone) into Markdown and HTML. */

/** HTML text and attribute values (double- or single-quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const ZWSP = '\u200b';

/**
 * Inline Markdown text for a GitHub comment: one line, the Markdown
 * punctuation that can act inline backslash-escaped (and what could start a
 * list or heading at the start), `&`, `<` and `>` as entities (so no HTML gets through),
 * and @mentions and #references broken with a zero-width space so they
 * neither notify anyone nor link to an issue.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[\\`*_[\]#|~]/g, '\\$&')
    .replace(/^(\s*)([-+=])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, `@${ZWSP}`)
    .replace(/#/g, `#${ZWSP}`);
}

/** A Markdown code span holding `text` literally, whatever backticks it contains. */
export function codeSpan(text: string): string {
  const clean = text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
  if (clean === '') return '` `';
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/** Cut to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

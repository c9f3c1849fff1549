/**
 * Helpers for commit subjects: `git log` of the coordination repository is the
 * audit trail a person reads, so each subject says who did what to which job
 * in one line. Each record kind writes its own subject (record-kind.ts).
 */
export function shortOid(oid: string): string {
  return oid.slice(0, 12);
}

export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

import type { RefUpdateLine } from './authorisation.ts';

const OID = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The standard input of a pre-receive hook: one `<old> <new> <ref>` line per
 * ref, where an id of zeros means "no ref" (created) or "deleted".
 * A line of any other shape is returned as a problem; the hook then refuses.
 */
export function parseReceiveLines(text: string): { updates: RefUpdateLine[]; problems: string[] } {
  const updates: RefUpdateLine[] = [];
  const problems: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [oldOid, newOid, ref, ...rest] = line.split(' ');
    if (!oldOid || !newOid || !ref || rest.length > 0 || !OID.test(oldOid) || !OID.test(newOid)) {
      problems.push(`cannot read the hook's input line ${JSON.stringify(line.slice(0, 200))}`);
      continue;
    }
    updates.push({ ref, oldOid: orNull(oldOid), newOid: orNull(newOid) });
  }
  return { updates, problems };
}

function orNull(oid: string): string | null {
  return /^0+$/.test(oid) ? null : oid;
}

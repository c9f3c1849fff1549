/**
 * git's object formats, read in process: what a commit links to and what a
 * tree holds. Shared by the loose-object reader (loose.ts) and the
 * coordination repository held in process (coord/memory-remote.ts).
 */

/**
 * The tree and parents a commit's headers name, read as git reads them: the
 * first line is the tree, the parent lines follow it. Undefined when the
 * first line is no tree.
 */
export function commitLinks(content: Uint8Array): { tree: string; parents: string[] } | undefined {
  const lines = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1').split('\n');
  const tree = /^tree ([0-9a-f]{40})$/.exec(lines[0] ?? '')?.[1];
  if (!tree) return undefined;
  const parents: string[] = [];
  for (const line of lines.slice(1)) {
    const parent = /^parent ([0-9a-f]{40})$/.exec(line)?.[1];
    if (!parent) break;
    parents.push(parent);
  }
  return { tree, parents };
}

export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

/** A tree's entries (`<mode> <name>\0<20-byte id>` one after another); undefined when the tree is cut short. */
export function treeEntries(content: Uint8Array): TreeEntry[] | undefined {
  const tree = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const entries: TreeEntry[] = [];
  let offset = 0;
  while (offset < tree.length) {
    const space = tree.indexOf(0x20, offset);
    const nul = space < 0 ? -1 : tree.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > tree.length) return undefined;
    entries.push({ mode: tree.subarray(offset, space).toString('latin1'), name: tree.subarray(space + 1, nul).toString('utf8'), oid: tree.subarray(nul + 1, nul + 21).toString('hex') });
    offset = nul + 21;
  }
  return entries;
}

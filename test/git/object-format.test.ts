import test from 'ava';
import { commitLinks, treeEntries } from '../../src/git/object-format.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

test('a commit links to the tree of its first line and the parent lines that follow it', (t) => {
  const commit = Buffer.from(`tree ${A}\nparent ${B}\nparent ${C}\nauthor x <x@y> 0 +0000\n\nparent ${A}\n`);
  t.deepEqual(commitLinks(commit), { tree: A, parents: [B, C] });
  t.deepEqual(commitLinks(Buffer.from(`tree ${A}\nauthor x <x@y> 0 +0000\nparent ${B}\n\nmsg\n`)), { tree: A, parents: [] }, 'a parent line out of place is no parent');
  t.is(commitLinks(Buffer.from(`author x <x@y> 0 +0000\ntree ${A}\n\nmsg\n`)), undefined, 'no tree on the first line');
});

test('a tree lists its entries; one cut short is unreadable, never read past its end', (t) => {
  const entry = (mode: string, name: string, oid: string) => Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(oid, 'hex')]);
  const tree = Buffer.concat([entry('100644', 'job.json', A), entry('40000', 'logs', B)]);
  t.deepEqual(treeEntries(tree), [
    { mode: '100644', name: 'job.json', oid: A },
    { mode: '40000', name: 'logs', oid: B },
  ]);
  t.is(treeEntries(tree.subarray(0, tree.length - 5)), undefined);
  t.is(treeEntries(Buffer.from('100644 no-terminator')), undefined);
  t.deepEqual(treeEntries(Buffer.alloc(0)), []);
});

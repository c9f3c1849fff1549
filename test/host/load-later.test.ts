import test from 'ava';
import { RefciError } from '../../src/errors.ts';
import { loadLater } from '../../src/host/load-later.ts';

test('a module loaded later is imported once, on first use', async (t) => {
  let imports = 0;
  const load = loadLater('sample', async () => ({ imported: ++imports }));
  t.is(imports, 0, 'nothing before the first use');
  t.deepEqual(await Promise.all([load(), load()]), [{ imported: 1 }, { imported: 1 }]);
  t.deepEqual(await load(), { imported: 1 });
  t.is(imports, 1);
});

test('a failed import says refci changed under the command, and the next use tries again', async (t) => {
  let attempt = 0;
  const load = loadLater('sample', async () => {
    attempt += 1;
    if (attempt === 1) throw new Error("Cannot find module '/usr/lib/node_modules/refci/dist/chunks/sample-OLD.js'\nRequire stack: ...");
    return 'loaded';
  });
  const error = await t.throwsAsync(load(), { instanceOf: RefciError });
  t.is(error!.code, 'tool');
  t.is(error!.oneLine(), "refci could not load its sample module: Cannot find module '/usr/lib/node_modules/refci/dist/chunks/sample-OLD.js'; refci was reinstalled or upgraded while this command ran: run the command again");
  t.is(await load(), 'loaded');
});

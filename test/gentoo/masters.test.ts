import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { defaultConfig } from '../../src/config/defaults.ts';
import { RefciError } from '../../src/errors.ts';
import { mastersProblems, recordNamedMasters } from '../../src/fleet/masters-gate.ts';
import { readCategoriesWithMasters, readLayoutMasters } from '../../src/gentoo/changed-paths.ts';
import { layoutMasters, missingMasters, missingMastersLine, parseLayoutConf } from '../../src/gentoo/layout-conf.ts';
import { tempDir } from '../helpers/temp.ts';

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

test('layout.conf: masters in order, comments skipped, the repository itself left out', (t) => {
  const text = '# overlay\nrepo-name = myoverlay\nmasters = gentoo  science # both\nthin-manifests = true\n';
  t.deepEqual(parseLayoutConf(text), { 'repo-name': 'myoverlay', masters: 'gentoo  science', 'thin-manifests': 'true' });
  t.deepEqual(layoutMasters(text), ['gentoo', 'science']);
  t.deepEqual(layoutMasters('masters = myoverlay gentoo\n', 'myoverlay'), ['gentoo']);
  t.deepEqual(layoutMasters('masters =\n'), []);
  t.deepEqual(layoutMasters(''), []);
});

test('a named master the pipeline does not configure is one line naming it and the fix', (t) => {
  t.deepEqual(missingMasters(['gentoo', 'science'], { gentoo: {} }), ['science']);
  t.deepEqual(missingMasters(['gentoo'], undefined), ['gentoo']);
  t.is(
    missingMastersLine('overlay', ['gentoo']),
    "metadata/layout.conf of pipeline overlay's repository names master gentoo, which the configuration does not give; set pipelines.overlay.masters.gentoo.path to the master's checkout (docs/deploy.md, Overlays)",
  );
});

test('categories are the union of the repository\'s and its masters\'; a master without profiles/categories is a one-line error', async (t) => {
  const dir = tempDir(t);
  const overlay = path.join(dir, 'overlay');
  const gentoo = path.join(dir, 'gentoo');
  write(overlay, 'metadata/layout.conf', 'masters = gentoo\n');
  write(overlay, 'profiles/repo_name', 'myoverlay\n');
  write(overlay, 'profiles/categories', 'dev-overlay\n');
  write(gentoo, 'profiles/categories', 'app-misc\ndev-libs\n');
  t.deepEqual(await readLayoutMasters(overlay), ['gentoo']);
  t.deepEqual([...(await readCategoriesWithMasters(overlay, [{ name: 'gentoo', path: gentoo }]))!].sort(), ['app-misc', 'dev-libs', 'dev-overlay']);
  t.deepEqual([...(await readCategoriesWithMasters(overlay, []))!], ['dev-overlay']);
  const error = await t.throwsAsync(readCategoriesWithMasters(overlay, [{ name: 'gentoo', path: path.join(dir, 'nowhere') }]), { instanceOf: RefciError });
  t.is(error?.oneLine(), `master gentoo at ${path.join(dir, 'nowhere')} has no profiles/categories; check out the gentoo repository there, or correct the pipeline's masters.gentoo.path`);
});

test('a worker refuses an overlay pipeline once its repository named an unconfigured master, and while a master checkout is missing', (t) => {
  const stateDir = tempDir(t);
  const config = defaultConfig();
  config.pipelines.overlay = { ...config.pipelines.gentoo };
  t.deepEqual(mastersProblems(config, ['gentoo', 'overlay', 'check'], stateDir), {});
  recordNamedMasters(stateDir, 'overlay', 'https://example.org/overlay.git', ['gentoo']);
  t.deepEqual(mastersProblems(config, ['gentoo', 'overlay', 'check'], stateDir), { overlay: missingMastersLine('overlay', ['gentoo']) });
  const gentoo = path.join(stateDir, 'gentoo');
  config.pipelines.overlay.masters = { gentoo: { path: gentoo } };
  t.deepEqual(mastersProblems(config, ['overlay'], stateDir), {
    overlay: `pipelines.overlay.masters.gentoo.path is ${gentoo}, which holds no ebuild repository (no profiles/categories) on this host; check out gentoo there or correct the path`,
  });
  write(gentoo, 'profiles/categories', 'app-misc\n');
  t.deepEqual(mastersProblems(config, ['overlay'], stateDir), {});
});

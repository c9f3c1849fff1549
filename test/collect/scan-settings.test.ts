import test from 'ava';
import { qaDecider } from '../../src/collect/deciders.ts';
import { scanSettingsReason } from '../../src/collect/scan-settings.ts';
import { closingResult } from '../../src/coord/close-job.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { changedScanSettings } from '../../src/gentoo/scan-settings.ts';

test('the worker records a change to pkgcheck\'s settings, added, edited, removed or renamed', (t) => {
  t.deepEqual(changedScanSettings([{ status: 'A', path: 'metadata/pkgcheck.conf' }, { status: 'M', path: 'app-misc/hello/hello-1.ebuild' }]), ['metadata/pkgcheck.conf']);
  t.deepEqual(changedScanSettings([{ status: 'R', path: 'metadata/old.conf', oldPath: 'metadata/pkgcheck.conf' }]), ['metadata/pkgcheck.conf']);
  t.deepEqual(changedScanSettings([{ status: 'M', path: 'metadata/layout.conf' }]), []);
  // The root .gitignore makes pkgcheck's package-folder checks skip files.
  t.deepEqual(changedScanSettings([{ status: 'M', path: '.gitignore' }, { status: 'A', path: 'app-misc/hello/.gitignore' }]), ['.gitignore']);
  // metadata/ made a symlink brings a pkgcheck.conf from elsewhere under its name.
  t.deepEqual(changedScanSettings([{ status: 'T', path: 'metadata' }]), ['metadata/pkgcheck.conf']);
});

test('a PR that changes pkgcheck\'s settings is not judged by the scans it could have silenced: an error that says why', async (t) => {
  const details = { scope: { mode: 'targets', targets: [], eclasses: [], repoLevel: true, deleted: [], reasons: [] }, scanSettingsChanged: ['metadata/pkgcheck.conf'] };
  const result = { ...closingResult('j1', 'success', 'all 6 steps passed', 'w1', 1, 0), details };
  const decision = await qaDecider(defaultConfig())({ job: undefined, result, readArtifact: async (file) => (file.endsWith('.jsonl') ? Buffer.alloc(0) : undefined) });
  t.is(decision.status, 'error');
  t.is(decision.reason, "the pull request changes pkgcheck's settings (metadata/pkgcheck.conf), so its tree was not scanned with the base's settings and the findings are not compared; a maintainer judges such a change");
  t.is(scanSettingsReason({ details: { scanSettingsChanged: [] } }), undefined);
  t.is(scanSettingsReason({ details: {} }), undefined);
  t.is(scanSettingsReason({ details: { scanSettingsChanged: 'metadata/pkgcheck.conf' } }), undefined);
});

import type { ChangedPath } from './scope.ts';

/**
 * Files of the repository that pkgcheck reads as its own settings for a scan
 * of it: `metadata/pkgcheck.conf` can turn keywords and checks off, and the
 * root `.gitignore` makes its package-folder checks skip files. A PR that
 * changes one would have its tree scanned with other settings than the
 * base, and could switch off the very check that would find its new error.
 */
export const SCAN_SETTINGS = ['metadata/pkgcheck.conf', '.gitignore'];

/** The scan settings files a change adds, modifies, removes or renames, sorted; a change of a folder above one (`metadata` made a symlink) counts for it. */
export function changedScanSettings(changes: readonly ChangedPath[]): string[] {
  const touched = new Set<string>();
  for (const change of changes) {
    for (const file of change.oldPath === undefined ? [change.path] : [change.path, change.oldPath]) {
      for (const setting of SCAN_SETTINGS) if (setting === file || setting.startsWith(`${file}/`)) touched.add(setting);
    }
  }
  return [...touched].sort();
}

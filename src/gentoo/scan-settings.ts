import type { ChangedPath } from './scope.ts';

/**
 * Files of the repository that pkgcheck reads as its own settings for a scan
 * of it: `metadata/pkgcheck.conf` can turn keywords and checks off. A PR that
 * changes it would have its tree scanned with other settings than the base,
 * and could switch off the very check that would find its new error.
 */
export const SCAN_SETTINGS = ['metadata/pkgcheck.conf'];

/** The scan settings files a change adds, modifies, removes or renames, sorted. */
export function changedScanSettings(changes: readonly ChangedPath[]): string[] {
  const touched = new Set<string>();
  for (const change of changes) {
    for (const file of change.oldPath === undefined ? [change.path] : [change.path, change.oldPath]) {
      if (SCAN_SETTINGS.includes(file)) touched.add(file);
    }
  }
  return [...touched].sort();
}

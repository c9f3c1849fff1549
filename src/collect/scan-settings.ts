import type { ResultRecord } from '../protocol/result.ts';

/**
 * Why a gentoo result's scans cannot be compared because the pull request
 * changes pkgcheck's own settings (`details.scanSettingsChanged`, recorded by
 * the worker), or undefined. The head was scanned with the PR's settings and
 * the base with its own: a finding the PR's settings switch off would vanish
 * from the head and read as "no new errors".
 */
export function scanSettingsReason(result: Pick<ResultRecord, 'details'>): string | undefined {
  const files = result.details.scanSettingsChanged;
  if (!Array.isArray(files)) return undefined;
  const named = files.filter((file): file is string => typeof file === 'string');
  if (named.length === 0) return undefined;
  return `the pull request changes pkgcheck's settings (${named.join(', ')}), so its tree was not scanned with the base's settings and the findings are not compared; a maintainer judges such a change`;
}

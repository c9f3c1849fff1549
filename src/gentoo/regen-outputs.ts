/**
 * What the gentoo pipeline's steps may change in the merged tree (pure):
 * `pmaint regen --use-local-desc --pkg-desc-index` writes the metadata cache
 * (metadata/md5-cache/, or metadata/cache/ for a repository whose
 * layout.conf asks for the pms format), profiles/use.local.desc and
 * metadata/pkg_desc_index, and pkgcheck writes nothing in the tree.
 * Anything else that changed was changed by code the pull request brought:
 * an ebuild's global scope runs during regen, before the merged tree is
 * scanned, and could rewrite its own ebuild so that the scan sees another one.
 */
const REGEN_OUTPUTS = ['profiles/use.local.desc', 'metadata/pkg_desc_index'];

/** The metadata cache folders regen writes: md5-cache, and cache for the pms format. */
export const METADATA_CACHE_FOLDERS = ['metadata/md5-cache', 'metadata/cache'];

/** Whether `file` lies in a metadata cache folder. */
export function inMetadataCache(file: string): boolean {
  return METADATA_CACHE_FOLDERS.some((folder) => file.startsWith(`${folder}/`));
}

export function isRegenOutput(file: string): boolean {
  return inMetadataCache(file) || REGEN_OUTPUTS.includes(file);
}

/**
 * Why the scans of the merged tree cannot be trusted, given the files changed
 * since it was written and what git could not read of it; undefined when only
 * regen's outputs changed and all of it was read.
 */
export function treeChangedReason(changed: readonly string[], unread: readonly string[] = []): string | undefined {
  if (unread.length > 0) {
    return `the merged tree could not be read whole after the steps (${unread[0]}${unread.length > 1 ? ` and ${unread.length - 1} more` : ''}): code of the pull request may have hidden a change there, so it cannot be judged`;
  }
  const foreign = changed.filter((file) => !isRegenOutput(file));
  if (foreign.length === 0) return undefined;
  const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ` and ${foreign.length - 5} more` : '');
  return `the merged tree changed while the steps ran (${shown}), not only the metadata regen writes: code of the pull request altered what was scanned, so it cannot be judged`;
}

/**
 * Why a committed symlink makes the merged tree's scan untrustworthy: one
 * that leads to a file regen writes (`app-misc/x/x-1.ebuild ->
 * ../../metadata/md5-cache/x`), or into a `.git` folder, gets its content from
 * the PR's code while regen runs, not from the commit. `targets` are the
 * links' targets as paths from the tree's root, or undefined for one that
 * leads out of the tree.
 */
export function untrustedSymlinksReason(targets: ReadonlyArray<{ link: string; target: string | undefined }>): string | undefined {
  // A folder link to a regen folder itself (`-> ../metadata/md5-cache`) counts too, and anything in a
  // `.git` folder, whose files git never lists, so that no change there is ever seen.
  const bad = targets.filter(({ target }) => target !== undefined && (isRegenOutput(target) || isRegenOutput(`${target}/`) || target.split('/').includes('.git')));
  if (bad.length === 0) return undefined;
  const shown = bad.slice(0, 5).map(({ link, target }) => `${link} -> ${target}`).join(', ') + (bad.length > 5 ? ` and ${bad.length - 5} more` : '');
  return `committed symlinks lead to files the metadata regen writes or git does not see (${shown}): their content comes from the pull request's code at regen time, so the scan cannot be judged`;
}

/** Why a `.git` at the tree's root (pkgcheck reads its ignore rules, which git never lists as a change) makes the scan untrustworthy, or undefined. */
export function gitFolderReason(present: boolean): string | undefined {
  return present ? 'a .git appeared at the root of the merged tree while the steps ran: pkgcheck reads its ignore rules and git lists nothing inside it, so the scan cannot be judged' : undefined;
}

/**
 * Keywords whose results are about profiles (pkgcheck `ProfilesResult`;
 * pkgcore/pkgcheck src/pkgcheck/checks/profiles.py). JsonStream does not name
 * a result's scope, so a profile result is recognised by its keyword; its
 * location is its `path` attribute, else its `profile` attribute. A keyword
 * missing here is read as repository scope, which changes no key that
 * matters: base and head are read the same way.
 */
export const PROFILE_KEYWORDS: ReadonlySet<string> = new Set([
  'ArchesOutOfSync',
  'ArchesWithoutProfiles',
  'BannedProfileEapi',
  'DeprecatedProfileEapi',
  'LaggingProfileEapi',
  'NonexistentCategories',
  'NonexistentProfilePath',
  'OutdatedProfilePackage',
  'ProfileError',
  'ProfileMissingImplicitExpandValues',
  'ProfileWarning',
  'UnknownCategories',
  'UnknownCategoryDirs',
  'UnknownProfileArch',
  'UnknownProfilePackage',
  'UnknownProfilePackageKeywords',
  'UnknownProfilePackageUse',
  'UnknownProfilePackages',
  'UnknownProfileUse',
  'UnknownProfileUseExpand',
  'UnknownProfileUseExpandValue',
  'UnmatchedProfilePackageUnmask',
  'UnusedProfileDirs',
]);

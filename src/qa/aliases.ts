/**
 * pkgcheck keyword names. A result's public name (what XmlReporter and
 * JsonReporter print, what `-k` selects) can differ from its Python class
 * (what JsonStream writes as `__class__`): an ebuild and an eclass variant
 * share one public name through `_name` on their common base class.
 * Source: pkgcore/pkgcheck src/pkgcheck/checks/{codingstyle,header,git}.py.
 */
export const KEYWORD_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  EbuildUnquotedVariable: 'UnquotedVariable',
  EclassUnquotedVariable: 'UnquotedVariable',
  EbuildVariableScope: 'VariableScope',
  EclassVariableScope: 'VariableScope',
  EbuildInvalidCopyright: 'InvalidCopyright',
  EclassInvalidCopyright: 'InvalidCopyright',
  EbuildOldGentooCopyright: 'OldGentooCopyright',
  EclassOldGentooCopyright: 'OldGentooCopyright',
  EbuildNonGentooAuthorsCopyright: 'NonGentooAuthorsCopyright',
  EclassNonGentooAuthorsCopyright: 'NonGentooAuthorsCopyright',
  EbuildInvalidLicenseHeader: 'InvalidLicenseHeader',
  EclassInvalidLicenseHeader: 'InvalidLicenseHeader',
  EbuildIncorrectCopyright: 'IncorrectCopyright',
  EclassIncorrectCopyright: 'IncorrectCopyright',
});

/** The public keyword for a name read from any format (identity for public names). */
export function publicKeyword(name: string): string {
  return Object.hasOwn(KEYWORD_ALIASES, name) ? KEYWORD_ALIASES[name]! : name;
}

/**
 * Python class names that may stand for a public keyword at a scope, most
 * specific first: `UnquotedVariable` at version scope -> `EbuildUnquotedVariable`;
 * without a package location (an eclass result read from XML) -> `EclassUnquotedVariable`.
 */
export function classCandidates(keyword: string, hasPackageLocation: boolean): string[] {
  const out: string[] = [];
  for (const [cls, pub] of Object.entries(KEYWORD_ALIASES)) {
    if (pub !== keyword) continue;
    const ebuild = cls.startsWith('Ebuild');
    if (ebuild === hasPackageLocation) out.unshift(cls);
    else out.push(cls);
  }
  return out;
}

/**
 * Pure: which ebuilds `pmaint regen` could not source, and why, from its log.
 * pmaint's last line only counts them ("metadata regeneration failed for 1
 * package"); a contributor needs the ebuild and its die message.
 *
 * It reads the two shapes pkgcore prints for an ebuild that dies while its
 * metadata is generated:
 *
 *     * ERROR: dev-util/buildkit-3.2::gentoo failed (depend phase):
 *     *   regen-failure
 *     pmaint regen: error: failed sourcing ebuild: dev-util/buildkit-3.2: regen-failure
 */
export interface RegenFailure {
  /** `category/package-version` */
  ebuild: string;
  /** The die message, or what pmaint said about the ebuild. */
  message: string;
}

const CPV = '[A-Za-z0-9+_][A-Za-z0-9+_.-]*/[A-Za-z0-9+_][A-Za-z0-9+_-]*-[0-9][A-Za-z0-9._-]*';
const EBD_ERROR = new RegExp(`^\\s*\\* ERROR: (${CPV})(?:::\\S+)? failed \\(([^)]*)\\):\\s*$`);
const SOURCING = new RegExp(`failed sourcing ebuild: (${CPV}): (.+)$`);
const MAX_MESSAGE = 200;

export function parseRegenFailures(log: string): RegenFailure[] {
  const found = new Map<string, string>();
  const note = (ebuild: string, message: string) => {
    const text = message.trim();
    // The first message found for an ebuild wins: the die message comes before pmaint's summary of it.
    if (!found.has(ebuild) || (!found.get(ebuild) && text)) found.set(ebuild, text);
  };
  const lines = log.split('\n');
  for (const [index, line] of lines.entries()) {
    const ebd = EBD_ERROR.exec(line);
    if (ebd) {
      // The die message is the next ` *   ` line with text in it.
      const next = lines.slice(index + 1, index + 6).find((l) => /^\s*\*\s+\S/.test(l) && !EBD_ERROR.test(l));
      note(ebd[1], next?.replace(/^\s*\*\s+/, '') ?? '');
      continue;
    }
    const sourcing = SOURCING.exec(line);
    if (sourcing) note(sourcing[1], sourcing[2]);
  }
  return [...found].map(([ebuild, message]) => ({ ebuild, message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message }));
}

/** `dev-util/buildkit-3.2: regen-failure; app-misc/foo-1: ...`, at most three, then how many more. */
export function describeRegenFailures(failures: RegenFailure[]): string | undefined {
  if (failures.length === 0) return undefined;
  const shown = failures.slice(0, 3).map((f) => (f.message ? `${f.ebuild}: ${f.message}` : f.ebuild));
  const more = failures.length > 3 ? `; and ${failures.length - 3} more` : '';
  const what = failures.length === 1 ? '1 ebuild' : `${failures.length} ebuilds`;
  return `metadata regeneration failed for ${what}: ${shown.join('; ')}${more}`;
}

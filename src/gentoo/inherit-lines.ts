/**
 * Pure: the eclass names an ebuild or eclass inherits, read from its own
 * `inherit` commands. This is the fallback for packages the regenerated
 * metadata cache does not describe (no cache yet, or an entry older than its
 * ebuild); the cache's `_eclasses_` is what bash really sourced.
 *
 * Shell is not parsed, only split into simple commands at `;;`, `;`, `&&`,
 * `||` and `|`, each stripped of what may precede a command on the same
 * line: `then`, `else`, `do`, `{`, `(`, `!`, `case WORD in` and a case arm's
 * pattern (`6)`, `*)`). So these all count, because each may run:
 *
 *   inherit a b
 *   [[ ${PV} == 9999 ]] && inherit git-r3
 *   if [[ ${PV} == 9999 ]]; then inherit git-r3; else inherit c; fi
 *   case ${EAPI} in 6) inherit xdg ;; esac
 *
 * What it cannot see: a name that comes from a variable (`inherit ${X}`,
 * which Gentoo policy forbids) and an `inherit` inside a function or eval.
 */
const ECLASS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const LEADING = [/^(?:then|else|do|\{|\(|!)\s+/, /^case\s+\S+\s+in(?:\s+|$)/, /^\(?[^\s()]+\)\s*/];

export function inheritedEclasses(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '');
    for (const part of line.split(/;;|;|&&|\|\||\|/)) {
      let command = part.trim();
      for (let changed = true; changed; ) {
        changed = false;
        for (const re of LEADING) {
          const next = command.replace(re, '');
          if (next !== command) {
            command = next;
            changed = true;
          }
        }
      }
      const match = /^inherit(?:\s+(.*))?$/.exec(command);
      if (!match) continue;
      for (const word of (match[1] ?? '').split(/\s+/)) if (ECLASS_NAME.test(word)) names.push(word);
    }
  }
  return names;
}

/**
 * Expands `{name}` placeholders in a step's argv. A lone `{targets}`-style
 * argument whose value is a list expands to several arguments; an unknown
 * placeholder is left as written so the tool's own error names it.
 */
export type TemplateValues = Record<string, string | string[]>;

export function expandArgv(argv: string[], values: TemplateValues): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const whole = /^\{([A-Za-z]+)\}$/.exec(arg);
    if (whole && Array.isArray(values[whole[1]])) {
      out.push(...(values[whole[1]] as string[]));
      continue;
    }
    out.push(
      arg.replace(/\{([A-Za-z]+)\}/g, (match, name: string) => {
        const value = values[name];
        if (value === undefined) return match;
        return Array.isArray(value) ? value.join(' ') : value;
      }),
    );
  }
  return out;
}

/**
 * A readable line for a JsonStream finding, which has attributes but no
 * message: `variable: D; lines: 5, 7`. Not pkgcheck's own description.
 */
export function attributesText(attributes: Record<string, unknown> | undefined): string {
  if (!attributes) return '';
  const show = (v: unknown): string => {
    if (v === null || v === undefined) return '-';
    if (Array.isArray(v)) return v.map(show).join(', ');
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  };
  return Object.keys(attributes)
    .sort()
    .map((k) => `${k}: ${show(attributes[k])}`)
    .join('; ');
}

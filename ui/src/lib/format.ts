/**
 * A stored value for people: strings as they are, absent values as a dash,
 * anything else as JSON — on one line, or indented with `pretty` (for a `<pre>`).
 */
export function show(value: unknown, { pretty = false }: { pretty?: boolean } = {}): string {
  if (value === undefined || (pretty && value === null)) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value, null, pretty ? 2 : undefined);
}

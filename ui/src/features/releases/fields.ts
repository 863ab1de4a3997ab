/** One field of an entity on both sides of a diff, flattened (`source.sql`). */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
  /** Shown as a line diff: SQL, templates and multi-line text. */
  text: boolean;
}

const TEXT_FIELDS = /(^|\.)(sql|template|transform_template|text|instructions)$/;

function flatten(value: unknown, prefix: string, out: Map<string, unknown>) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, value);
  }
}

/**
 * The fields that differ between `before` and `after` (every field when one
 * side is absent), in the order the entity lists them.
 */
export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, '', a);
  flatten(after, '', b);
  const keys = [...new Set([...b.keys(), ...a.keys()])];
  const out: FieldChange[] = [];
  for (const path of keys) {
    const x = a.get(path);
    const y = b.get(path);
    if (before != null && after != null && JSON.stringify(x) === JSON.stringify(y)) continue;
    if (x == null && y == null) continue;
    const multiline = [x, y].some((v) => typeof v === 'string' && v.includes('\n'));
    out.push({ path, before: x, after: y, text: TEXT_FIELDS.test(path) || multiline });
  }
  return out;
}

// Parameter rows as the editor holds them (text inputs) and their conversion
// to and from the API's ParamDef.
import type { Schema } from './api/client';

export type ParamDef = Schema<'ParamDef'>;
export type ParamType = Schema<'ParamType'>;
export const PARAM_TYPES: ParamType[] = ['string', 'integer', 'number', 'boolean', 'array'];

/** One editable parameter; every free-form field is text until saved. */
export interface ParamRow {
  name: string;
  type: ParamType;
  item_type: ParamType;
  required: boolean;
  default: string;
  description: string;
  /** Comma-separated allowed values. */
  enum: string;
  min: string;
  max: string;
  pattern: string;
  /** Kept out of the request log (shown there as `[redacted]`). */
  sensitive: boolean;
  /** The OAuth token claim the value comes from (empty: the model supplies it). */
  from_claim: string;
}

export function emptyRow(name = ''): ParamRow {
  return { name, type: 'string', item_type: 'string', required: true, default: '', description: '', enum: '', min: '', max: '', pattern: '', sensitive: false, from_claim: '' };
}

const show = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

export function toRow(p: ParamDef): ParamRow {
  return {
    name: p.name,
    type: p.type,
    item_type: p.item_type ?? 'string',
    required: p.required ?? false,
    default: show(p.default),
    description: p.description ?? '',
    enum: (p.enum ?? []).map(show).join(', '),
    min: show(p.min),
    max: show(p.max),
    pattern: p.pattern ?? '',
    sensitive: p.sensitive ?? false,
    from_claim: p.from_claim ?? '',
  };
}

/** Parses `text` as a value of `type`; throws with a readable reason. */
export function parseValue(text: string, type: ParamType): unknown {
  const t = text.trim();
  switch (type) {
    case 'string':
      return text;
    case 'integer': {
      if (!/^-?\d+$/.test(t)) throw new Error(`"${t}" is not an integer`);
      return Number(t);
    }
    case 'number': {
      const n = Number(t);
      if (t === '' || Number.isNaN(n)) throw new Error(`"${t}" is not a number`);
      return n;
    }
    case 'boolean':
      if (t === 'true' || t === 'false') return t === 'true';
      throw new Error(`"${t}" is not true or false`);
    case 'array': {
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch {
        throw new Error(`"${t}" is not a JSON array`);
      }
      if (!Array.isArray(v)) throw new Error(`"${t}" is not a JSON array`);
      return v;
    }
  }
}

/** Converts rows to ParamDefs; problems use the server's paths (`parameters[i].field`). */
export function fromRows(rows: ParamRow[], path = 'parameters'): { params: ParamDef[]; problems: { path: string; message: string }[] } {
  const problems: { path: string; message: string }[] = [];
  const params = rows.map((r, i) => {
    const p: ParamDef = { name: r.name.trim(), type: r.type, required: r.required };
    const at = (field: string) => `${path}[${i}].${field}`;
    const attempt = (field: string, f: () => void) => {
      try {
        f();
      } catch (e) {
        problems.push({ path: at(field), message: e instanceof Error ? e.message : String(e) });
      }
    };
    if (r.type === 'array') p.item_type = r.item_type;
    if (r.description.trim()) p.description = r.description.trim();
    if (r.default.trim() !== '') attempt('default', () => (p.default = parseValue(r.default, r.type)));
    if (r.enum.trim()) {
      const itemType = r.type === 'array' ? r.item_type : r.type;
      attempt('enum', () => (p.enum = r.enum.split(',').map((v) => parseValue(v.trim(), itemType))));
    }
    if (r.min.trim()) attempt('min', () => (p.min = parseValue(r.min, 'number') as number));
    if (r.max.trim()) attempt('max', () => (p.max = parseValue(r.max, 'number') as number));
    if (r.pattern) p.pattern = r.pattern;
    if (r.sensitive) p.sensitive = true;
    if (r.from_claim.trim()) p.from_claim = r.from_claim.trim();
    return p;
  });
  return { params, problems };
}

/**
 * Makes the rows match `names` (as found in the SQL): existing rows are kept
 * with their settings, new names get a required string row, rows whose name
 * is no longer used are dropped (the server refuses unused parameters).
 */
export function syncRows(rows: ParamRow[], names: string[]): { rows: ParamRow[]; added: string[]; removed: string[] } {
  const byName = new Map(rows.map((r) => [r.name.trim(), r]));
  const added = names.filter((n) => !byName.has(n));
  const removed = rows.map((r) => r.name.trim()).filter((n) => !names.includes(n));
  return { rows: names.map((n) => byName.get(n) ?? emptyRow(n)), added, removed };
}

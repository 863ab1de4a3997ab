// Global variables as editable rows: a name, a type and the value as typed text.
// The API stores typed scalars; the type is chosen per row and the text is
// converted on save, so "42" can be the string "42" or the integer 42.
import type { ServerSettings } from './api';

export type VarType = 'string' | 'integer' | 'number' | 'boolean';
export const VAR_TYPES: VarType[] = ['string', 'integer', 'number', 'boolean'];
export const MAX_VARS = 100;

export interface VarRow {
  /** Stable across edits, for React keys and field ids. */
  key: number;
  name: string;
  type: VarType;
  value: string;
}

type Vars = NonNullable<ServerSettings['global_variables']>;

let nextKey = 1;
export function newRow(name = '', type: VarType = 'string', value = ''): VarRow {
  return { key: nextKey++, name, type, value };
}

/** Rows for the stored variables, in name order. */
export function toRows(vars: Vars | undefined): VarRow[] {
  return Object.entries(vars ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, v]) => {
      if (typeof v === 'boolean') return newRow(name, 'boolean', String(v));
      if (typeof v === 'number') return newRow(name, Number.isInteger(v) ? 'integer' : 'number', String(v));
      return newRow(name, 'string', v);
    });
}

/**
 * The variables to save, or the problems per row key (checked here so a typo does not cost a round trip;
 * the server checks names and values again and its problems are shown on the same rows).
 */
export function fromRows(rows: readonly VarRow[]): { vars: Vars; problems: Map<number, string> } {
  const vars: Vars = {};
  const problems = new Map<number, string>();
  const seen = new Set<string>();
  for (const row of rows) {
    const name = row.name.trim();
    if (!name && !row.value.trim()) continue; // an untouched empty row
    if (!name) {
      problems.set(row.key, 'give the variable a name');
      continue;
    }
    if (seen.has(name)) {
      problems.set(row.key, `${name} is already defined above`);
      continue;
    }
    seen.add(name);
    const text = row.value.trim();
    switch (row.type) {
      case 'string':
        vars[name] = row.value;
        break;
      case 'integer':
        if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) problems.set(row.key, 'must be a whole number');
        else vars[name] = Number(text);
        break;
      case 'number':
        if (text === '' || !Number.isFinite(Number(text))) problems.set(row.key, 'must be a number such as 0.2');
        else vars[name] = Number(text);
        break;
      case 'boolean':
        vars[name] = text === 'true';
        break;
    }
  }
  if (seen.size > MAX_VARS) problems.set(-1, `at most ${MAX_VARS} global variables`);
  return { vars, problems };
}

// Schema-aware completion: table names, and the columns of the tables the
// statement mentions (or of `table.` / `alias.` before the cursor). Columns are
// fetched on first use and cached by the caller's fetcher.
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import type { ColumnInfo, TableInfo } from '../../hooks/useSchema';

export interface SchemaSource {
  tables: () => TableInfo[];
  columns: (table: string) => Promise<ColumnInfo[]>;
}

const IDENT = /^[\w$]*$/;
const MAX_TABLES_SCANNED = 6;

/** `alias → table` and `table → table` for every `FROM`/`JOIN`/`UPDATE`/`INTO` in the text. */
export function tablesInUse(text: string, known: TableInfo[]): Map<string, string> {
  const names = new Map(known.map((t) => [t.name.toLowerCase(), t.name]));
  const used = new Map<string, string>();
  const re = /\b(?:from|join|update|into)\s+(?:[\w$]+\.)?"?([\w$]+)"?(?:\s+(?:as\s+)?([\w$]+))?/gi;
  for (const m of text.matchAll(re)) {
    const table = names.get((m[1] ?? '').toLowerCase());
    if (!table) continue;
    used.set(table.toLowerCase(), table);
    const alias = m[2]?.toLowerCase();
    if (alias && !/^(where|join|on|left|right|inner|outer|full|cross|group|order|limit|set|values)$/.test(alias)) used.set(alias, table);
  }
  return used;
}

const columnOption = (c: ColumnInfo, table: string): Completion => ({
  label: c.name,
  type: 'property',
  detail: `${c.type}${c.primary_key ? ' · key' : ''}`,
  info: `${table}.${c.name}`,
});

/** A completion source over `schema`. */
export function schemaCompletion(schema: SchemaSource) {
  return async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const before = ctx.state.sliceDoc(Math.max(0, ctx.pos - 1), ctx.pos);
    const text = ctx.state.doc.toString();
    const used = tablesInUse(text, schema.tables());
    const dotted = ctx.matchBefore(/[\w$]+\.[\w$]*$/);
    if (dotted) {
      const [qualifier = ''] = dotted.text.split('.');
      const table = used.get(qualifier.toLowerCase()) ?? schema.tables().find((t) => t.name.toLowerCase() === qualifier.toLowerCase())?.name;
      if (!table) return null;
      const cols = await schema.columns(table).catch(() => []);
      return { from: dotted.from + qualifier.length + 1, options: cols.map((c) => columnOption(c, table)), validFor: IDENT };
    }
    const word = ctx.matchBefore(/[\w$]+$/);
    // Not inside a `:name` placeholder, and only on a word unless asked (Ctrl+Space).
    if ((word && ctx.state.sliceDoc(word.from - 1, word.from) === ':') || before === ':') return null;
    if (!word && !ctx.explicit) return null;
    const tables: Completion[] = schema.tables().map((t) => ({ label: t.name, type: 'class', detail: t.kind, boost: 1 }));
    const inUse = [...new Set(used.values())].slice(0, MAX_TABLES_SCANNED);
    const columns = (await Promise.all(inUse.map(async (t) => (await schema.columns(t).catch(() => [])).map((c) => columnOption(c, t))))).flat();
    return { from: word ? word.from : ctx.pos, options: [...columns, ...tables], validFor: IDENT };
  };
}

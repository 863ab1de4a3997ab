import { useRef, type ReactNode } from 'react';
import { useColumnsFetcher, useTables } from '../hooks/useSchema';
import type { Dialect } from '../lib/placeholders';
import { Field } from './Field';
import { SchemaExplorer } from './SchemaExplorer';
import { SqlEditor, type EditorHandle } from './sql-editor/SqlEditor';

interface Props {
  id: string;
  value: string;
  onChange: (sql: string) => void;
  connectionId: string;
  dialect: Dialect;
  problems?: string[];
  hint?: ReactNode;
  placeholder?: string;
  onRun?: () => void;
  onSave?: () => void;
}

/** The SQL of a tool or resource: the editor beside the connection's schema explorer. */
export function SqlField({ id, value, onChange, connectionId, dialect, problems, hint, placeholder, onRun, onSave }: Props) {
  const tables = useTables(connectionId);
  const fetchColumns = useColumnsFetcher(connectionId);
  const editor = useRef<EditorHandle | null>(null);
  // Until the editor has loaded, an insert goes at the end of the text.
  const insert = (text: string) => (editor.current ? editor.current.insert(text) : onChange(`${value}${value && !value.endsWith(' ') ? ' ' : ''}${text}`));
  return (
    <div className="sql-field">
      <Field label="SQL" htmlFor={id} wide problems={problems} hint={hint}>
        <SqlEditor id={id} label="SQL" value={value} onChange={onChange} dialect={dialect} tables={tables.data ?? []}
          fetchColumns={connectionId ? fetchColumns : () => Promise.resolve([])} onRun={onRun} onSave={onSave}
          placeholder={placeholder} handle={editor} />
      </Field>
      <details className="schema-panel" open>
        <summary>Schema</summary>
        <SchemaExplorer connectionId={connectionId} onInsert={insert} />
      </details>
    </div>
  );
}

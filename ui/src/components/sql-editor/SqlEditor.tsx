import { Suspense, lazy, type RefObject } from 'react';
import type { ColumnInfo, TableInfo } from '../../hooks/useSchema';
import type { Dialect } from '../../lib/placeholders';

/** What a form can do to the editor: insert at the cursor (the schema explorer), focus it. */
export interface EditorHandle {
  insert: (text: string) => void;
  focus: () => void;
}

export interface EditorProps {
  /** The id of the editable element (a <label for> target) and its accessible name. */
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  dialect: Dialect;
  /** Completion's tables, and a cached fetch of a table's columns. */
  tables: TableInfo[];
  fetchColumns: (table: string) => Promise<ColumnInfo[]>;
  /** Ctrl/Cmd+Enter and Ctrl/Cmd+S. */
  onRun?: () => void;
  onSave?: () => void;
  placeholder?: string;
  handle?: RefObject<EditorHandle | null>;
}

// CodeMirror is a large chunk that only the builders need: it loads on first use.
const CodeEditor = lazy(() => import('./CodeEditor'));

/** A SQL editor with the dialect's highlighting, schema completion and `:name` placeholders marked. */
export function SqlEditor(props: EditorProps) {
  return (
    <Suspense
      fallback={
        // Until the editor arrives, a plain text area keeps the SQL editable.
        <textarea id={props.id} aria-label={props.label} className="mono sql" rows={10} spellCheck={false} value={props.value}
          placeholder={props.placeholder} onChange={(e) => props.onChange(e.target.value)} />
      }
    >
      <CodeEditor {...props} />
    </Suspense>
  );
}

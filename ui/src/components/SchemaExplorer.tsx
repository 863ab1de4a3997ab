import { useState } from 'react';
import { useColumns, useTables, type TableInfo } from '../hooks/useSchema';
import { ErrorPanel } from './ErrorPanel';
import { Loading } from './PageHeader';

interface Props {
  connectionId: string;
  /** Inserts a table or column name at the editor's cursor. */
  onInsert: (text: string) => void;
}

/** The connection's tables → columns with their types; a click inserts the name at the cursor. */
export function SchemaExplorer({ connectionId, onInsert }: Props) {
  const tables = useTables(connectionId);
  const [filter, setFilter] = useState('');
  if (!connectionId) return <p className="muted small note">Choose a connection to browse its tables.</p>;
  const shown = (tables.data ?? []).filter((t) => t.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <nav className="schema-explorer" aria-label="Schema explorer">
      <input aria-label="Filter tables" placeholder="Filter tables" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {tables.isLoading && <Loading what="Reading the schema" />}
      <ErrorPanel error={tables.error} />
      {tables.data && shown.length === 0 && <p className="muted small note">No tables{filter ? ' match' : ''}.</p>}
      <ul>
        {shown.map((t) => <TableRow key={`${t.schema}.${t.name}`} connectionId={connectionId} table={t} onInsert={onInsert} />)}
      </ul>
    </nav>
  );
}

function TableRow({ connectionId, table, onInsert }: { connectionId: string; table: TableInfo; onInsert: (t: string) => void }) {
  const [open, setOpen] = useState(false);
  const columns = useColumns(connectionId, table.name, open);
  return (
    <li>
      <div className="schema-row">
        <button type="button" className="btn btn-small btn-ghost schema-toggle" aria-expanded={open}
          aria-label={`${open ? 'Hide' : 'Show'} columns of ${table.name}`} onClick={() => setOpen(!open)}>{open ? '▾' : '▸'}</button>
        <button type="button" className="schema-name mono" title={`Insert ${table.name}`} onClick={() => onInsert(table.name)}>{table.name}</button>
        {table.kind === 'view' && <span className="badge">view</span>}
      </div>
      {open && (
        <ul className="schema-columns">
          {columns.isLoading && <li><Loading /></li>}
          {columns.error != null && <li><ErrorPanel error={columns.error} /></li>}
          {columns.data?.map((c) => (
            <li key={c.name}>
              <button type="button" className="schema-name mono" title={`Insert ${c.name}`} onClick={() => onInsert(c.name)}>
                {c.name}
              </button>
              <span className="muted small mono">{c.type}{c.primary_key ? ' · key' : ''}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

import { Link } from 'react-router';
import { EntityList, RowEnd } from '../../components/EntityList';
import { usePage } from '../../components/Pagination';
import { connections, useTestConnection, type Connection } from './api';
import { TestOutcome } from './TestButton';

function where(c: Connection): string {
  if (c.db_type === 'sqlite') return c.database;
  return `${c.username ? `${c.username}@` : ''}${c.host}:${c.port}/${c.database}`;
}

export function ConnectionsPage() {
  const { skip, limit } = usePage();
  const list = connections.useList({ skip, limit });
  const del = connections.useRemove();
  return (
    <EntityList title="Connections" subtitle="The databases your tools and resources run on." newPath="/connections/new"
      newLabel="New connection" list={list} errors={[del.error]}
      empty={<>
        <p>No connections yet. Add the database you want to expose over MCP.</p>
        <Link className="btn btn-primary" to="/connections/new">Add a connection</Link>
      </>}
      columns={['Name', 'Type', 'Where', 'SSL', 'Pool / queue', 'Status']}
      row={(c) => <ConnectionRow key={c.id} c={c} onDelete={() => del.mutate(c.id)} />} />
  );
}

/** One connection; its "Test" outcome shows under the status. */
function ConnectionRow({ c, onDelete }: { c: Connection; onDelete: () => void }) {
  const test = useTestConnection();
  return (
    <tr>
      <td><Link to={`/connections/${c.id}`} className="strong">{c.name}</Link></td>
      <td><span className="badge">{c.db_type}</span></td>
      <td className="mono small">{where(c)}</td>
      <td className="small">{c.db_type === 'sqlite' ? '—' : c.ssl_mode}</td>
      <td className="small">
        {c.pool_min_size}–{c.pool_max_size} · {c.max_concurrent_queries} at once
        {c.queue_enabled ? `, waits ${c.queue_timeout_seconds}s` : ', no queue'}
      </td>
      <td className="status-cell">
        {c.is_active ? <span className="badge badge-ok">active</span> : <span className="badge">inactive</span>}
        <TestOutcome test={test} />
      </td>
      <RowEnd item={c} editPath={`/connections/${c.id}`} onDelete={onDelete} deleteConfirm="Delete with its tools">
        <button type="button" className="btn btn-small btn-ghost" disabled={test.isPending} onClick={() => test.mutate(c.id)}>
          {test.isPending ? 'Testing…' : 'Test'}
        </button>
      </RowEnd>
    </tr>
  );
}

import { Link } from 'react-router';
import { ErrorPanel } from '../../components/ErrorPanel';
import { ConfirmButton } from '../../components/ConfirmButton';
import { Flash } from '../../components/Flash';
import { Loading, PageHeader } from '../../components/PageHeader';
import { Pagination, usePage } from '../../components/Pagination';
import { useConnections, useDeleteConnection, useTestConnection, type Connection } from './api';
import { TestOutcome } from './TestButton';

function where(c: Connection): string {
  if (c.db_type === 'sqlite') return c.database;
  return `${c.username ? `${c.username}@` : ''}${c.host}:${c.port}/${c.database}`;
}

export function ConnectionsPage() {
  const { skip, limit } = usePage();
  const list = useConnections(skip, limit);
  const del = useDeleteConnection();
  return (
    <>
      <PageHeader
        title="Connections"
        subtitle="The databases your tools and resources run on."
        actions={<Link className="btn btn-primary" to="/connections/new">New connection</Link>}
      />
      <Flash />
      <ErrorPanel error={list.error ?? del.error} />
      {list.isLoading && <Loading />}
      {list.data && list.data.total === 0 && (
        <div className="empty card">
          <p>No connections yet. Add the database you want to expose over MCP.</p>
          <Link className="btn btn-primary" to="/connections/new">Add a connection</Link>
        </div>
      )}
      {list.data && list.data.items.length > 0 && (
        <div className="card table-card">
          <table className="table">
            <thead>
              <tr><th>Name</th><th>Type</th><th>Where</th><th>SSL</th><th>Pool / queue</th><th>Status</th><th aria-label="Actions" /></tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <ConnectionRow key={c.id} c={c} onDelete={() => del.mutate(c.id)} />
              ))}
            </tbody>
          </table>
          <Pagination total={list.data.total} shown={list.data.items.length} />
        </div>
      )}
    </>
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
      <td className="actions">
        <button type="button" className="btn btn-small btn-ghost" disabled={test.isPending} onClick={() => test.mutate(c.id)}>
          {test.isPending ? 'Testing…' : 'Test'}
        </button>
        <Link className="btn btn-small btn-ghost" to={`/connections/${c.id}`}>Edit</Link>
        <ConfirmButton label="Delete" confirmLabel="Delete with its tools" onConfirm={onDelete} />
      </td>
    </tr>
  );
}

import { Link } from 'react-router';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Flash } from '../../components/Flash';
import { Loading, PageHeader } from '../../components/PageHeader';
import { Pagination, usePage } from '../../components/Pagination';
import { useConnectionOptions } from '../../hooks/useConnectionOptions';
import { useDeleteTool, useDuplicateTool, useTools } from './api';

export function ToolsPage() {
  const { skip, limit } = usePage();
  const list = useTools(skip, limit);
  const connections = useConnectionOptions();
  const duplicate = useDuplicateTool();
  const del = useDeleteTool();
  const connectionName = (id: string) => connections.data?.find((c) => c.id === id)?.name ?? '…';
  return (
    <>
      <PageHeader
        title="Tools"
        subtitle="Parameterised SQL that AI clients call over MCP."
        actions={<Link className="btn btn-primary" to="/tools/new">New tool</Link>}
      />
      <Flash />
      {duplicate.data && (
        <div className="alert alert-success" role="status">
          Created the copy <Link to={`/tools/${duplicate.data.id}`}>{duplicate.data.name}</Link>.
        </div>
      )}
      <ErrorPanel error={list.error ?? duplicate.error ?? del.error} />
      {list.isLoading && <Loading />}
      {list.data && list.data.total === 0 && (
        <div className="empty card">
          <p>No tools yet. A tool is one SQL statement with named parameters, e.g. <code>SELECT * FROM users WHERE id = :id</code>.</p>
          <Link className="btn btn-primary" to="/tools/new">Create a tool</Link>
        </div>
      )}
      {list.data && list.data.items.length > 0 && (
        <div className="card table-card">
          <table className="table" aria-label="Tools">
            <thead>
              <tr><th>Name</th><th>Description</th><th>Connection</th><th>Parameters</th><th>Hints</th><th>Status</th><th aria-label="Actions" /></tr>
            </thead>
            <tbody>
              {list.data.items.map((t) => (
                <tr key={t.id}>
                  <td><Link to={`/tools/${t.id}`} className="strong mono">{t.name}</Link><div className="muted small">v{t.version}</div></td>
                  <td className="small"><div className="clamp">{t.description}</div></td>
                  <td className="small">{connectionName(t.connection_id)}</td>
                  <td className="mono small">{(t.parameters ?? []).map((p) => p.name).join(', ') || '—'}</td>
                  <td>
                    {t.annotations?.read_only !== false ? <span className="badge">read-only</span> : <span className="badge badge-warn">writes</span>}
                    {t.annotations?.destructive && <span className="badge badge-danger">destructive</span>}
                    {(t.cache_ttl ?? 0) > 0 && <span className="badge">cache {t.cache_ttl}s</span>}
                  </td>
                  <td>{t.is_enabled !== false ? <span className="badge badge-ok">enabled</span> : <span className="badge">disabled</span>}</td>
                  <td className="actions">
                    <Link className="btn btn-small btn-ghost" to={`/tools/${t.id}`}>Edit</Link>
                    <button type="button" className="btn btn-small btn-ghost" disabled={duplicate.isPending} onClick={() => duplicate.mutate(t.id)}>
                      Duplicate
                    </button>
                    <ConfirmButton label="Delete" onConfirm={() => del.mutate(t.id)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination total={list.data.total} shown={list.data.items.length} />
        </div>
      )}
    </>
  );
}

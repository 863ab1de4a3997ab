import { Link } from 'react-router';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Flash } from '../../components/Flash';
import { Loading, PageHeader } from '../../components/PageHeader';
import { Pagination, usePage } from '../../components/Pagination';
import { useDeleteResource, useResources } from './api';

export function ResourcesPage() {
  const { skip, limit } = usePage();
  const list = useResources(skip, limit);
  const del = useDeleteResource();
  return (
    <>
      <PageHeader title="Resources" subtitle="Data clients can read by URI: a SQL query or static content."
        actions={<Link className="btn btn-primary" to="/resources/new">New resource</Link>} />
      <Flash />
      <ErrorPanel error={list.error ?? del.error} />
      {list.isLoading && <Loading />}
      {list.data && list.data.total === 0 && (
        <div className="empty card">
          <p>No resources yet. A resource has a URI such as <code>reports://daily</code> or <code>users://{'{user_id}'}/profile</code>.</p>
          <Link className="btn btn-primary" to="/resources/new">Create a resource</Link>
        </div>
      )}
      {list.data && list.data.items.length > 0 && (
        <div className="card table-card">
          <table className="table" aria-label="Resources">
            <thead><tr><th>Name</th><th>URI</th><th>Source</th><th>MIME type</th><th>Status</th><th aria-label="Actions" /></tr></thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.id}>
                  <td><Link to={`/resources/${r.id}`} className="strong mono">{r.name}</Link><div className="muted small">v{r.version}</div></td>
                  <td className="mono small">{r.uri_template}</td>
                  <td><span className="badge">{r.sql_query ? 'SQL' : 'static'}</span></td>
                  <td className="small">{r.mime_type ?? 'application/json'}</td>
                  <td>{r.is_enabled !== false ? <span className="badge badge-ok">enabled</span> : <span className="badge">disabled</span>}</td>
                  <td className="actions">
                    <Link className="btn btn-small btn-ghost" to={`/resources/${r.id}`}>Edit</Link>
                    <ConfirmButton label="Delete" onConfirm={() => del.mutate(r.id)} />
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

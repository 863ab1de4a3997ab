import { Link } from 'react-router';
import { ConfirmButton } from '../../components/ConfirmButton';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Flash } from '../../components/Flash';
import { Loading, PageHeader } from '../../components/PageHeader';
import { Pagination, usePage } from '../../components/Pagination';
import { useDeletePrompt, usePrompts } from './api';

export function PromptsPage() {
  const { skip, limit } = usePage();
  const list = usePrompts(skip, limit);
  const del = useDeletePrompt();
  return (
    <>
      <PageHeader title="Prompts" subtitle="Reusable prompt templates with arguments."
        actions={<Link className="btn btn-primary" to="/prompts/new">New prompt</Link>} />
      <Flash />
      <ErrorPanel error={list.error ?? del.error} />
      {list.isLoading && <Loading />}
      {list.data && list.data.total === 0 && (
        <div className="empty card">
          <p>No prompts yet. A prompt is a template such as <code>Summarise the orders of {'{customer}'}.</code></p>
          <Link className="btn btn-primary" to="/prompts/new">Create a prompt</Link>
        </div>
      )}
      {list.data && list.data.items.length > 0 && (
        <div className="card table-card">
          <table className="table" aria-label="Prompts">
            <thead><tr><th>Name</th><th>Title</th><th>Arguments</th><th>Status</th><th aria-label="Actions" /></tr></thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id}>
                  <td><Link to={`/prompts/${p.id}`} className="strong mono">{p.name}</Link><div className="muted small">v{p.version}</div></td>
                  <td className="small">{p.title ?? <span className="muted">—</span>}</td>
                  <td className="mono small">{(p.arguments ?? []).map((a) => a.name).join(', ') || '—'}</td>
                  <td>{p.is_enabled !== false ? <span className="badge badge-ok">enabled</span> : <span className="badge">disabled</span>}</td>
                  <td className="actions">
                    <Link className="btn btn-small btn-ghost" to={`/prompts/${p.id}`}>Edit</Link>
                    <ConfirmButton label="Delete" onConfirm={() => del.mutate(p.id)} />
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

import { Link } from 'react-router';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EnabledToggle } from '../../components/EnabledToggle';
import { EntityList } from '../../components/EntityList';
import { ListFilters, filterQuery, useListFilters } from '../../components/ListFilters';
import { usePage } from '../../components/Pagination';
import { useConnectionOptions } from '../../hooks/useConnectionOptions';
import { tools, useDuplicateTool } from './api';

export function ToolsPage() {
  const { skip, limit } = usePage();
  const filters = useListFilters();
  const list = tools.useList({ skip, limit, ...filterQuery(filters, true) });
  const connections = useConnectionOptions();
  const duplicate = useDuplicateTool();
  const del = tools.useRemove();
  const toggle = tools.usePatch();
  const connectionName = (id: string) => connections.data?.find((c) => c.id === id)?.name ?? '…';
  return (
    <EntityList title="Tools" subtitle="Parameterised SQL that AI clients call over MCP." newPath="/tools/new" newLabel="New tool"
      list={list} errors={[duplicate.error, del.error, toggle.error]} filtered={filters.active}
      before={<>
        <ListFilters what="tools" withConnection />
        {duplicate.data && (
          <div className="alert alert-success" role="status">
            Created the copy <Link to={`/tools/${duplicate.data.id}`}>{duplicate.data.name}</Link>.
          </div>
        )}
      </>}
      empty={<>
        <p>No tools yet. A tool is one SQL statement with named parameters, e.g. <code>SELECT * FROM users WHERE id = :id</code>.</p>
        <Link className="btn btn-primary" to="/tools/new">Create a tool</Link>
      </>}
      columns={['Name', 'Description', 'Connection', 'Parameters', 'Hints', 'Enabled']}
      row={(t) => (
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
          <td><EnabledToggle item={t} patch={toggle} /></td>
          <td className="actions">
            <Link className="btn btn-small btn-ghost" to={`/tools/${t.id}`}>Edit</Link>
            <button type="button" className="btn btn-small btn-ghost" disabled={duplicate.isPending} onClick={() => duplicate.mutate(t.id)}>
              Duplicate
            </button>
            <ConfirmButton label="Delete" onConfirm={() => del.mutate(t.id)} />
          </td>
        </tr>
      )} />
  );
}

import { Link } from 'react-router';
import { EntityList, RowEnd } from '../../components/EntityList';
import { ListFilters, useListQuery } from '../../components/ListFilters';
import { useConnectionOptions } from '../../hooks/useConnectionOptions';
import { tools, useDuplicateTool } from './api';

export function ToolsPage() {
  const { query, filters } = useListQuery(true);
  const list = tools.useList(query);
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
          <RowEnd item={t} editPath={`/tools/${t.id}`} onDelete={() => del.mutate(t.id)} toggle={toggle}>
            <button type="button" className="btn btn-small btn-ghost" disabled={duplicate.isPending} onClick={() => duplicate.mutate(t.id)}>
              Duplicate
            </button>
          </RowEnd>
        </tr>
      )} />
  );
}

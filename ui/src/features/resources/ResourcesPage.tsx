import { Link } from 'react-router';
import { EntityList, RowEnd } from '../../components/EntityList';
import { ListFilters, useListQuery } from '../../components/ListFilters';
import { resources } from './api';

export function ResourcesPage() {
  const { query, filters } = useListQuery(true);
  const list = resources.useList(query);
  const del = resources.useRemove();
  const toggle = resources.usePatch();
  return (
    <EntityList title="Resources" subtitle="Data clients can read by URI: a SQL query or static content." newPath="/resources/new"
      newLabel="New resource" list={list} errors={[del.error, toggle.error]} filtered={filters.active}
      before={<ListFilters what="resources" withConnection />}
      empty={<>
        <p>No resources yet. A resource has a URI such as <code>reports://daily</code> or <code>users://{'{user_id}'}/profile</code>.</p>
        <Link className="btn btn-primary" to="/resources/new">Create a resource</Link>
      </>}
      columns={['Name', 'URI', 'Source', 'MIME type', 'Enabled']}
      row={(r) => (
        <tr key={r.id}>
          <td><Link to={`/resources/${r.id}`} className="strong mono">{r.name}</Link><div className="muted small">v{r.version}</div></td>
          <td className="mono small">{r.uri_template}</td>
          <td><span className="badge">{r.sql_query ? 'SQL' : 'static'}</span></td>
          <td className="small">{r.mime_type ?? 'application/json'}</td>
          <RowEnd item={r} editPath={`/resources/${r.id}`} onDelete={() => del.mutate(r.id)} toggle={toggle} />
        </tr>
      )} />
  );
}

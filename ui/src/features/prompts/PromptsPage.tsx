import { Link } from 'react-router';
import { EntityList, RowEnd } from '../../components/EntityList';
import { ListFilters, useListQuery } from '../../components/ListFilters';
import { prompts } from './api';

export function PromptsPage() {
  const { query, filters } = useListQuery(false);
  const list = prompts.useList(query);
  const del = prompts.useRemove();
  const toggle = prompts.usePatch();
  return (
    <EntityList title="Prompts" subtitle="Reusable prompt templates with arguments." newPath="/prompts/new" newLabel="New prompt"
      list={list} errors={[del.error, toggle.error]} filtered={filters.active} before={<ListFilters what="prompts" />}
      empty={<>
        <p>No prompts yet. A prompt is a template such as <code>Summarise the orders of {'{customer}'}.</code></p>
        <Link className="btn btn-primary" to="/prompts/new">Create a prompt</Link>
      </>}
      columns={['Name', 'Title', 'Arguments', 'Enabled']}
      row={(p) => (
        <tr key={p.id}>
          <td><Link to={`/prompts/${p.id}`} className="strong mono">{p.name}</Link><div className="muted small">v{p.version}</div></td>
          <td className="small">{p.title ?? <span className="muted">—</span>}</td>
          <td className="mono small">{(p.arguments ?? []).map((a) => a.name).join(', ') || '—'}</td>
          <RowEnd item={p} editPath={`/prompts/${p.id}`} onDelete={() => del.mutate(p.id)} toggle={toggle} />
        </tr>
      )} />
  );
}

import { Link } from 'react-router';
import { ConfirmButton } from '../../components/ConfirmButton';
import { EnabledToggle } from '../../components/EnabledToggle';
import { EntityList } from '../../components/EntityList';
import { ListFilters, filterQuery, useListFilters } from '../../components/ListFilters';
import { usePage } from '../../components/Pagination';
import { prompts } from './api';

export function PromptsPage() {
  const { skip, limit } = usePage();
  const filters = useListFilters();
  const list = prompts.useList({ skip, limit, ...filterQuery(filters, false) });
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
          <td><EnabledToggle item={p} patch={toggle} /></td>
          <td className="actions">
            <Link className="btn btn-small btn-ghost" to={`/prompts/${p.id}`}>Edit</Link>
            <ConfirmButton label="Delete" onConfirm={() => del.mutate(p.id)} />
          </td>
        </tr>
      )} />
  );
}

import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useConnectionOptions } from '../hooks/useConnectionOptions';
import { usePage } from './Pagination';

/** The list filters in the URL (`?search=&connection=&tags=`), so a filtered list can be linked and survives a reload. */
export function useListFilters() {
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const connection = params.get('connection') ?? '';
  const tags = params.get('tags') ?? '';
  const set = (key: 'search' | 'connection' | 'tags', value: string) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (value) next.set(key, value);
      else next.delete(key);
      next.delete('page'); // a new filter starts at the first page
      return next;
    }, { replace: true });
  return { search, connection, tags, set, active: Boolean(search || connection || tags) };
}

/** The query-string values the list routes take, without empty ones. */
export function filterQuery(f: { search: string; connection: string; tags: string }, withConnection: boolean) {
  return {
    ...(f.search ? { search: f.search } : {}),
    ...(f.tags ? { tags: f.tags } : {}),
    ...(withConnection && f.connection ? { connection_id: f.connection } : {}),
  };
}

/** Text that reaches `onChange` only after typing pauses. */
function DebouncedInput({ value, onChange, ...rest }: { value: string; onChange: (v: string) => void } & Omit<React.InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const t = setTimeout(() => onChange(text.trim()), 300);
    return () => clearTimeout(t);
  }, [text]); // eslint-disable-line react-hooks/exhaustive-deps
  return <input {...rest} value={text} onChange={(e) => setText(e.target.value)} />;
}

/** Search, connection and tags filters above a list. */
export function ListFilters({ what, withConnection }: { what: string; withConnection?: boolean }) {
  const f = useListFilters();
  const connections = useConnectionOptions();
  return (
    <div role="search" className="list-filters" aria-label={`Filter ${what}`}>
      <DebouncedInput type="search" aria-label={`Search ${what}`} placeholder="Search name or description" value={f.search}
        onChange={(v) => f.set('search', v)} />
      {withConnection && (
        <select aria-label="Connection" value={f.connection} onChange={(e) => f.set('connection', e.target.value)}>
          <option value="">All connections</option>
          {connections.data?.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
      )}
      <DebouncedInput aria-label="Tags" placeholder="Tags, e.g. billing, reports" value={f.tags} onChange={(v) => f.set('tags', v)} />
    </div>
  );
}

/** A filtered list's query (page and filters from the URL) and its filters. */
export function useListQuery(withConnection: boolean) {
  const { skip, limit } = usePage();
  const filters = useListFilters();
  return { query: { skip, limit, ...filterQuery(filters, withConnection) }, filters };
}

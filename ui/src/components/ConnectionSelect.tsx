import { Link } from 'react-router';
import { useConnectionOptions } from '../hooks/useConnectionOptions';

interface Props {
  id: string;
  value: string;
  onChange: (id: string) => void;
  allowNone?: boolean;
}

/** A select over all connections, with a link to create one when there are none. */
export function ConnectionSelect({ id, value, onChange, allowNone }: Props) {
  const { data, isLoading } = useConnectionOptions();
  if (!isLoading && data?.length === 0) {
    return (
      <p className="muted" id={id}>
        No connections yet. <Link to="/connections/new">Add a connection</Link> first.
      </p>
    );
  }
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={isLoading}>
      {(allowNone || !value) && <option value="">{isLoading ? 'Loading…' : '— choose a connection —'}</option>}
      {data?.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name} ({c.db_type}{c.is_active ? '' : ', inactive'})
        </option>
      ))}
    </select>
  );
}

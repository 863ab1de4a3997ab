import { Link, useParams } from 'react-router';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { useConnection } from './api';
import { ConnectionForm } from './ConnectionForm';
import { TestButton } from './TestButton';

export function NewConnectionPage() {
  return (
    <>
      <PageHeader title="New connection" subtitle={<Link to="/connections">← Connections</Link>} />
      <ConnectionForm />
    </>
  );
}

export function ConnectionEditPage() {
  const { id = '' } = useParams();
  const q = useConnection(id);
  return (
    <>
      <PageHeader title={q.data ? `Connection ${q.data.name}` : 'Connection'} actions={q.data && <TestButton id={q.data.id} />}
        subtitle={<><Link to="/connections">← Connections</Link>{q.data && <span className="muted"> · version {q.data.version}</span>}</>} />
      <ErrorPanel error={q.error} />
      {q.isLoading && <Loading />}
      {/* A reload after a conflict remounts the form with the fresh data. */}
      {q.data && <ConnectionForm key={`${q.data.id}:${q.dataUpdatedAt}`} connection={q.data} onReload={() => void q.refetch()} />}
    </>
  );
}

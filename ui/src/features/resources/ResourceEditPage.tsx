import { Link, useParams } from 'react-router';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { useResource } from './api';
import { ResourceForm } from './ResourceForm';

export function NewResourcePage() {
  return (
    <>
      <PageHeader title="New resource" subtitle={<Link to="/resources">← Resources</Link>} />
      <ResourceForm />
    </>
  );
}

export function ResourceEditPage() {
  const { id = '' } = useParams();
  const q = useResource(id);
  return (
    <>
      <PageHeader title={q.data ? `Resource ${q.data.name}` : 'Resource'}
        subtitle={<><Link to="/resources">← Resources</Link>{q.data && <span className="muted"> · version {q.data.version}</span>}</>} />
      <ErrorPanel error={q.error} />
      {q.isLoading && <Loading />}
      {q.data && <ResourceForm key={`${q.data.id}:${q.dataUpdatedAt}`} resource={q.data} onReload={() => void q.refetch()} />}
    </>
  );
}

import { Link, useParams } from 'react-router';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { useTool } from './api';
import { ToolForm } from './ToolForm';

export function NewToolPage() {
  return (
    <>
      <PageHeader title="New tool" subtitle={<Link to="/tools">← Tools</Link>} />
      <ToolForm />
    </>
  );
}

export function ToolEditPage() {
  const { id = '' } = useParams();
  const q = useTool(id);
  return (
    <>
      <PageHeader title={q.data ? `Tool ${q.data.name}` : 'Tool'}
        subtitle={<><Link to="/tools">← Tools</Link>{q.data && <span className="muted"> · version {q.data.version}</span>}</>} />
      <ErrorPanel error={q.error} />
      {q.isLoading && <Loading />}
      {q.data && <ToolForm key={`${q.data.id}:${q.dataUpdatedAt}`} tool={q.data} onReload={() => void q.refetch()} />}
    </>
  );
}

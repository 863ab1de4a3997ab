import { Link, useParams } from 'react-router';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { usePrompt } from './api';
import { PromptForm } from './PromptForm';

export function NewPromptPage() {
  return (
    <>
      <PageHeader title="New prompt" subtitle={<Link to="/prompts">← Prompts</Link>} />
      <PromptForm />
    </>
  );
}

export function PromptEditPage() {
  const { id = '' } = useParams();
  const q = usePrompt(id);
  return (
    <>
      <PageHeader title={q.data ? `Prompt ${q.data.name}` : 'Prompt'}
        subtitle={<><Link to="/prompts">← Prompts</Link>{q.data && <span className="muted"> · version {q.data.version}</span>}</>} />
      <ErrorPanel error={q.error} />
      {q.isLoading && <Loading />}
      {q.data && <PromptForm key={`${q.data.id}:${q.dataUpdatedAt}`} prompt={q.data} onReload={() => void q.refetch()} />}
    </>
  );
}

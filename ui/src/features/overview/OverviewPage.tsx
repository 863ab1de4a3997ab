import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { PageHeader } from '../../components/PageHeader';
import { api, unwrap } from '../../lib/api/client';

/** Totals of each entity (one-item pages carry `total`). */
function useTotals() {
  const one = { params: { query: { limit: 1 } } };
  return useQuery({
    queryKey: ['overview'],
    queryFn: async () => {
      const [connections, tools, resources, prompts] = await Promise.all([
        unwrap(api.GET('/api/v1/connections', one)),
        unwrap(api.GET('/api/v1/tools', one)),
        unwrap(api.GET('/api/v1/resources', one)),
        unwrap(api.GET('/api/v1/prompts', one)),
      ]);
      return { connections: connections.total, tools: tools.total, resources: resources.total, prompts: prompts.total };
    },
  });
}

const CARDS = [
  { key: 'connections', label: 'Connections', to: '/connections' },
  { key: 'tools', label: 'Tools', to: '/tools' },
  { key: 'resources', label: 'Resources', to: '/resources' },
  { key: 'prompts', label: 'Prompts', to: '/prompts' },
] as const;

export function OverviewPage() {
  const totals = useTotals().data;
  const steps = [
    { done: (totals?.connections ?? 0) > 0, text: 'Add a database connection', to: '/connections/new' },
    { done: (totals?.tools ?? 0) > 0, text: 'Create a tool from a SQL query', to: '/tools/new' },
  ];
  return (
    <>
      <PageHeader title="Overview" subtitle="Turn SQL databases into MCP servers." />
      <div className="stats">
        {CARDS.map((c) => (
          <Link key={c.key} to={c.to} className="card stat">
            <span className="stat-value">{totals ? totals[c.key] : '–'}</span>
            <span className="muted">{c.label}</span>
          </Link>
        ))}
      </div>
      {totals && steps.some((s) => !s.done) && (
        <section className="card welcome">
          <h2>Getting started</h2>
          <ol>
            {steps.map((s) => (
              <li key={s.to} className={s.done ? 'done' : undefined}>
                {s.done ? <span>✓ {s.text}</span> : <Link to={s.to}>{s.text}</Link>}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { PageHeader } from '../../components/PageHeader';
import { api, unwrap } from '../../lib/api/client';
import { ErrorPanel } from '../../components/ErrorPanel';
import { ms } from '../metrics/MetricsPage';
import { useStats } from '../metrics/api';

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
      <Traffic />
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

/**
 * The last 24 hours from the metrics API: calls and errors summed over every tool, resource and prompt, the
 * slowest p95 of any one of them (percentiles of different tools are not averaged), and the busiest five
 * (of the first 100 names: the API pages at 100).
 */
function Traffic() {
  const stats = useStats('24h');
  const items = stats.data?.items ?? [];
  const calls = items.reduce((n, s) => n + s.calls, 0);
  const errors = items.reduce((n, s) => n + s.errors, 0);
  const slowest = items.reduce<(typeof items)[number] | null>(
    (a, s) => (s.p95_ms != null && (a?.p95_ms == null || s.p95_ms > a.p95_ms) ? s : a), null);
  const busiest = [...items].sort((a, b) => b.calls - a.calls).filter((s) => s.calls > 0).slice(0, 5);
  return (
    <section className="traffic" aria-labelledby="traffic-title">
      <h2 id="traffic-title">Last 24 hours</h2>
      <ErrorPanel error={stats.error} />
      <div className="stats">
        <Link to="/metrics" className="card stat">
          <span className="stat-value">{stats.data ? calls : '–'}</span>
          <span className="muted">Calls</span>
        </Link>
        <Link to="/metrics" className="card stat">
          <span className="stat-value">{stats.data ? errors : '–'}</span>
          <span className="muted">Errors{calls > 0 ? ` (${((errors / calls) * 100).toFixed(1)} %)` : ''}</span>
        </Link>
        <Link to="/metrics" className="card stat">
          <span className="stat-value">{stats.data ? ms(slowest?.p95_ms) : '–'}</span>
          <span className="muted">Highest p95{slowest ? ` (${slowest.name})` : ''}</span>
        </Link>
        <Link to="/metrics" className="card stat">
          <span className="stat-value">{stats.data ? items.filter((s) => s.calls > 0).length : '–'}</span>
          <span className="muted">Names called</span>
        </Link>
      </div>
      {stats.data && (
        <div className="card table-card">
          <table className="table" aria-label="Busiest tools">
            <thead><tr><th>Busiest</th><th>Calls</th><th>Errors</th><th>p95</th><th>Last called</th></tr></thead>
            <tbody>
              {busiest.length === 0 && <tr><td colSpan={5} className="muted">No calls in the last 24 hours.</td></tr>}
              {busiest.map((s) => (
                <tr key={`${s.subject}:${s.name}`}>
                  <td><span className="muted small">{s.subject}</span> <span className="mono strong">{s.name}</span></td>
                  <td>{s.calls}</td><td>{s.errors}</td><td>{ms(s.p95_ms)}</td>
                  <td className="small">{s.last_called ? new Date(s.last_called).toLocaleString() : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

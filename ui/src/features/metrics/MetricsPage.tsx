import { useState } from 'react';
import './metrics.css';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { CallsChart } from './Chart';
import { PERIODS, useLogs, useQueues, useSeries, useStats, type LogEntry, type LogFilters, type Period } from './api';

const ms = (v?: number | null) => (v == null ? '—' : `${v.toFixed(1)} ms`);
const LIMIT = 20;

/** Calls, errors and latency per tool over a period, the queues now, and the request log. */
export function MetricsPage() {
  const [period, setPeriod] = useState<Period>('1h');
  const stats = useStats(period);
  const series = useSeries(period);
  const queues = useQueues();
  return (
    <>
      <PageHeader title="Metrics" subtitle="What the runtimes delivered: percentiles from merged distributions (±1 %)." />
      <div className="card filters" role="search">
        <label>
          Period{' '}
          <select value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
            {PERIODS.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
      </div>
      <ErrorPanel error={stats.error ?? series.error ?? queues.error} />
      {series.data && <div className="card"><CallsChart series={series.data} /></div>}
      {stats.isLoading && <Loading />}
      {stats.data && (
        <div className="card table-card">
          <table className="table" aria-label="Per tool">
            <thead>
              <tr><th>Name</th><th>Calls</th><th>Errors</th><th>p50</th><th>p95</th><th>p99</th><th>Rows</th><th>Cache hits</th><th>Last call</th></tr>
            </thead>
            <tbody>
              {stats.data.items.length === 0 && <tr><td colSpan={9} className="muted">No calls in this period.</td></tr>}
              {stats.data.items.map((s) => (
                <tr key={`${s.subject}:${s.name}`}>
                  <td><span className="muted small">{s.subject}</span> <span className="mono strong">{s.name}</span></td>
                  <td>{s.calls}</td>
                  <td title={Object.entries(s.errors_by_class).map(([k, n]) => `${k}: ${n}`).join(', ')}>
                    {s.errors} ({(s.error_rate * 100).toFixed(1)} %)
                  </td>
                  <td>{ms(s.p50_ms)}</td><td>{ms(s.p95_ms)}</td><td>{ms(s.p99_ms)}</td>
                  <td>{s.mean_rows.toFixed(1)}</td><td>{s.cache_hits}</td>
                  <td className="small">{s.last_called ? new Date(s.last_called).toLocaleString() : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {queues.data && queues.data.items.length > 0 && (
        <div className="card table-card">
          <table className="table" aria-label="Queues">
            <thead>
              <tr><th>Connection</th><th>Running / limit</th><th>Waiting</th><th>Rejected</th><th>Timed out</th><th>Wait p50 / p95</th><th>Pool in use / idle</th><th>Instances</th></tr>
            </thead>
            <tbody>
              {queues.data.items.map((q) => (
                <tr key={q.connection_id}>
                  <td className="mono small">{q.connection_id}</td>
                  <td><meter min={0} max={Math.max(1, q.total.limit)} value={q.total.running} /> {q.total.running} / {q.total.limit}</td>
                  <td>{q.total.waiting}</td><td>{q.total.rejected}</td><td>{q.total.timed_out}</td>
                  <td>{ms(q.total.wait_p50_ms)} / {ms(q.total.wait_p95_ms)}</td>
                  <td>{q.total.pool_in_use} / {q.total.pool_idle}</td>
                  <td>{q.instances.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <RequestLog />
    </>
  );
}

function RequestLog() {
  const [filters, setFilters] = useState<LogFilters>({ tool: '', outcome: '', client: '', search: '' });
  const [skip, setSkip] = useState(0);
  const [selected, setSelected] = useState<LogEntry | null>(null);
  const logs = useLogs(filters, skip, LIMIT);
  const set = (k: keyof LogFilters, v: string) => {
    setFilters((f) => ({ ...f, [k]: v }));
    setSkip(0);
  };
  return (
    <section aria-labelledby="request-log-title">
      <h2 id="request-log-title">Request log</h2>
      <div className="card filters" role="search" aria-label="Request log filters">
        <label>Tool <input value={filters.tool} onChange={(e) => set('tool', e.target.value)} /></label>{' '}
        <label>
          Outcome{' '}
          <select value={filters.outcome} onChange={(e) => set('outcome', e.target.value)}>
            <option value="">All</option><option value="ok">ok</option><option value="error">error</option>
          </select>
        </label>{' '}
        <label>Client <input value={filters.client} onChange={(e) => set('client', e.target.value)} /></label>{' '}
        <label>Search <input value={filters.search} onChange={(e) => set('search', e.target.value)} /></label>
      </div>
      <ErrorPanel error={logs.error} />
      {logs.data && (
        <div className="card table-card">
          <table className="table" aria-label="Request log">
            <thead><tr><th>When</th><th>Name</th><th>Client</th><th>Duration</th><th>Rows</th><th>Outcome</th></tr></thead>
            <tbody>
              {logs.data.items.length === 0 && <tr><td colSpan={6} className="muted">No calls match.</td></tr>}
              {logs.data.items.map((e) => (
                <tr key={e.id} aria-selected={selected?.id === e.id} onClick={() => setSelected(e)} style={{ cursor: 'pointer' }}>
                  <td className="small">{new Date(e.at).toLocaleString()}</td>
                  <td className="mono">{e.name}</td>
                  <td className="small">{e.client}</td>
                  <td>{ms(e.duration_ms)}</td>
                  <td>{e.rows}</td>
                  <td><span className={`badge${e.outcome === 'error' ? ' badge-danger' : ''}`}>{e.error_class ?? e.outcome}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="pagination" aria-label="Pagination">
            <span className="muted">{logs.data.total === 0 ? 0 : skip + 1}–{skip + logs.data.items.length} of {logs.data.total}</span>
            <button type="button" className="btn btn-small btn-ghost" disabled={skip === 0} onClick={() => setSkip(Math.max(0, skip - LIMIT))}>← Newer</button>
            <button type="button" className="btn btn-small btn-ghost" disabled={skip + LIMIT >= logs.data.total} onClick={() => setSkip(skip + LIMIT)}>Older →</button>
          </nav>
        </div>
      )}
      {selected && (
        <aside className="card drawer" role="dialog" aria-label={`Call ${selected.id}`}>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setSelected(null)} aria-label="Close">✕</button>
          <h3 className="mono">{selected.name}</h3>
          <dl className="small">
            <dt>When</dt><dd>{new Date(selected.at).toLocaleString()}</dd>
            <dt>Instance · release</dt><dd className="mono">{selected.instance_id} · {selected.release}</dd>
            <dt>Client</dt><dd>{selected.client}</dd>
            <dt>Duration</dt><dd>{ms(selected.duration_ms)} (queue {ms(selected.queue_wait_ms)}, database {ms(selected.db_ms)})</dd>
            <dt>Rows · bytes</dt><dd>{selected.rows} · {selected.bytes}</dd>
            <dt>Outcome</dt><dd>{selected.outcome}{selected.error_class ? ` (${selected.error_class})` : ''}</dd>
          </dl>
          <pre className="mono small" aria-label="Arguments">{JSON.stringify(selected.arguments, null, 2)}</pre>
        </aside>
      )}
    </section>
  );
}

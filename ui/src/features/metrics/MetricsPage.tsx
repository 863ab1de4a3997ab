import { useEffect, useRef, useState } from 'react';
import './metrics.css';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { OffsetPager } from '../../components/Pagination';
import { CallsChart, Sparkline } from './Chart';
import {
  NO_FILTERS, PERIODS, useConnectionNames, useLogs, useQueues, useSeries, useStats,
  type LogEntry, type LogFilters, type Period, type Subject, type SubjectStats,
} from './api';

export const ms = (v?: number | null) => (v == null ? '—' : `${v.toFixed(1)} ms`);
const LIMIT = 20;

/** Calls, errors and latency per tool over a period, the queues now, and the request log. */
export function MetricsPage() {
  const [period, setPeriod] = useState<Period>('1h');
  const stats = useStats(period);
  const series = useSeries(period);
  return (
    <>
      <PageHeader title="Metrics" subtitle="What the runtimes delivered: percentiles from merged distributions (±1 %)." />
      <fieldset className="card filters segmented period-picker">
        <legend>Period</legend>
        {PERIODS.map((p) => (
          <label key={p}>
            <input type="radio" name="period" value={p} checked={period === p} onChange={() => setPeriod(p)} /> {p}
          </label>
        ))}
      </fieldset>
      <ErrorPanel error={series.error} />
      {series.data && <div className="card"><CallsChart series={series.data} /></div>}
      <section className="metrics-section" aria-labelledby="per-tool-title">
        <h2 id="per-tool-title">Per tool</h2>
        <ErrorPanel error={stats.error} />
        {stats.isLoading && <Loading />}
        {stats.data && <StatsTable items={stats.data.items} period={period} />}
      </section>
      <Queues />
      <RequestLog />
    </>
  );
}

function StatsTable({ items, period }: { items: SubjectStats[]; period: Period }) {
  return (
    <div className="card table-card">
      <table className="table" aria-label="Per tool">
        <thead>
          <tr>
            <th>Name</th><th>Calls</th><th>Calls over time</th><th>Errors</th><th>Error rate</th><th>p50</th><th>p95</th>
            <th>p99</th><th>Mean rows</th><th>Cache hits</th><th>Last called</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 && <tr><td colSpan={11} className="muted">No calls in this period.</td></tr>}
          {items.map((s) => (
            <tr key={`${s.subject}:${s.name}`}>
              <td><span className="muted small">{s.subject}</span> <span className="mono strong">{s.name}</span></td>
              <td>{s.calls}</td>
              <td><ToolSparkline period={period} name={s.name} subject={s.subject as Subject} /></td>
              <td title={Object.entries(s.errors_by_class).map(([k, n]) => `${k}: ${n}`).join(', ')}>
                {s.errors}
                {s.errors > 0 && (
                  <span className="small muted"> ({Object.entries(s.errors_by_class).map(([k, n]) => `${k} ${n}`).join(', ')})</span>
                )}
              </td>
              <td>{(s.error_rate * 100).toFixed(1)} %</td>
              <td>{ms(s.p50_ms)}</td><td>{ms(s.p95_ms)}</td><td>{ms(s.p99_ms)}</td>
              <td>{s.mean_rows.toFixed(1)}</td><td>{s.cache_hits}</td>
              <td className="small">{s.last_called ? new Date(s.last_called).toLocaleString() : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ToolSparkline({ period, name, subject }: { period: Period; name: string; subject: Subject }) {
  const series = useSeries(period, name, subject);
  if (series.error) return <span className="muted small">—</span>;
  if (!series.data) return <span className="muted small" aria-busy="true">…</span>;
  return <Sparkline series={series.data} label={`${name} calls over ${period}`} />;
}

function Queues() {
  const queues = useQueues();
  const names = useConnectionNames().data;
  return (
    <section className="metrics-section" aria-labelledby="queues-title">
      <h2 id="queues-title">Queues</h2>
      <ErrorPanel error={queues.error} />
      {queues.isLoading && <Loading />}
      {queues.data && queues.data.items.length === 0 && (
        <p className="card muted">No runtime has reported its queues in the last 2 minutes.</p>
      )}
      {queues.data && queues.data.items.length > 0 && (
        <div className="card table-card">
          <table className="table" aria-label="Queues">
            <thead>
              <tr>
                <th>Connection</th><th>Running / limit</th><th>Waiting</th><th>Rejected</th><th>Timed out</th>
                <th>Wait p50 / p95</th><th>Pool in use / idle</th><th>Instances</th>
              </tr>
            </thead>
            <tbody>
              {queues.data.items.map((q) => {
                const name = names?.get(q.connection_id);
                return (
                  <tr key={q.connection_id}>
                    <td>{name ? <span className="strong">{name}</span> : <span className="mono small">{q.connection_id}</span>}</td>
                    <td>
                      <meter min={0} max={Math.max(1, q.total.limit)} high={Math.max(1, q.total.limit) * 0.8}
                        value={q.total.running} aria-label={`${name ?? q.connection_id}: running`} />{' '}
                      {q.total.running} / {q.total.limit}
                    </td>
                    <td>{q.total.waiting}</td><td>{q.total.rejected}</td><td>{q.total.timed_out}</td>
                    <td>{ms(q.total.wait_p50_ms)} / {ms(q.total.wait_p95_ms)}</td>
                    <td>{q.total.pool_in_use} / {q.total.pool_idle}</td>
                    <td>{q.instances.length}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RequestLog() {
  const [filters, setFilters] = useState<LogFilters>(NO_FILTERS);
  const [skip, setSkip] = useState(0);
  const [selected, setSelected] = useState<LogEntry | null>(null);
  const logs = useLogs(filters, skip, LIMIT);
  const set = (k: keyof LogFilters, v: string) => {
    setFilters((f) => ({ ...f, [k]: v }));
    setSkip(0);
  };
  return (
    <section className="metrics-section" aria-labelledby="request-log-title">
      <h2 id="request-log-title">Request log</h2>
      <div className="card filters log-filters" role="search" aria-label="Request log filters">
        <label>Tool <input value={filters.tool} onChange={(e) => set('tool', e.target.value)} /></label>
        <label>
          Outcome{' '}
          <select value={filters.outcome} onChange={(e) => set('outcome', e.target.value)}>
            <option value="">All</option><option value="ok">ok</option><option value="error">error</option>
          </select>
        </label>
        <label>Client <input value={filters.client} onChange={(e) => set('client', e.target.value)} /></label>
        <label>From <input type="datetime-local" value={filters.since} onChange={(e) => set('since', e.target.value)} /></label>
        <label>Until <input type="datetime-local" value={filters.until} onChange={(e) => set('until', e.target.value)} /></label>
        <label>Search <input type="search" value={filters.search} onChange={(e) => set('search', e.target.value)} /></label>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => { setFilters(NO_FILTERS); setSkip(0); }}>
          Clear
        </button>
      </div>
      <ErrorPanel error={logs.error} />
      {logs.isLoading && <Loading />}
      {logs.data && (
        <div className="card table-card">
          <table className="table" aria-label="Request log">
            <thead><tr><th>When</th><th>Name</th><th>Client</th><th>Duration</th><th>Rows</th><th>Outcome</th></tr></thead>
            <tbody>
              {logs.data.items.length === 0 && <tr><td colSpan={6} className="muted">No calls match.</td></tr>}
              {logs.data.items.map((e) => (
                <tr key={e.id} aria-selected={selected?.id === e.id}>
                  <td className="small">{new Date(e.at).toLocaleString()}</td>
                  <td>
                    <button type="button" className="link-button mono" onClick={() => setSelected(e)}
                      aria-label={`${e.name} at ${new Date(e.at).toLocaleString()}: details`}>
                      {e.name}
                    </button>
                  </td>
                  <td className="small">{e.client}</td>
                  <td>{ms(e.duration_ms)}</td>
                  <td>{e.rows}</td>
                  <td><span className={`badge${e.outcome === 'error' ? ' badge-danger' : ''}`}>{e.error_class ?? e.outcome}</span></td>
                </tr>
              ))}
            </tbody>
          </table>
          <OffsetPager label="Request log pages" skip={skip} shown={logs.data.items.length} total={logs.data.total}
            limit={LIMIT} onSkip={setSkip} />
        </div>
      )}
      <LogDrawer entry={selected} onClose={() => setSelected(null)} />
    </section>
  );
}

/**
 * One record, every field, in a native modal `<dialog>`: focus moves in, stays, Escape closes, and focus
 * returns to the row's button that opened it.
 */
function LogDrawer({ entry, onClose }: { entry: LogEntry | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (entry && !d.open) d.showModal();
    if (!entry && d.open) d.close();
  }, [entry]);
  return (
    <dialog ref={ref} className="card drawer" aria-labelledby="log-drawer-title"
      onCancel={(e) => { e.preventDefault(); onClose(); }}>
      {entry && (
        <>
          <div className="drawer-head">
            <h3 id="log-drawer-title" className="mono">{entry.name}</h3>
            <button type="button" className="btn btn-small btn-ghost" onClick={onClose} autoFocus>Close</button>
          </div>
          <dl className="small">
            <dt>Record</dt><dd className="mono">{entry.id}</dd>
            <dt>When</dt><dd>{new Date(entry.at).toLocaleString()}</dd>
            <dt>Kind</dt><dd>{entry.subject}</dd>
            <dt>Instance</dt><dd className="mono">{entry.instance_id}</dd>
            <dt>Release</dt><dd className="mono">{entry.release}</dd>
            <dt>Client</dt><dd>{entry.client}</dd>
            <dt>Duration</dt><dd>{ms(entry.duration_ms)}</dd>
            <dt>Queue wait</dt><dd>{ms(entry.queue_wait_ms)}</dd>
            <dt>Database</dt><dd>{ms(entry.db_ms)}</dd>
            <dt>Rows</dt><dd>{entry.rows}</dd>
            <dt>Bytes</dt><dd>{entry.bytes}</dd>
            <dt>Outcome</dt><dd>{entry.outcome}{entry.error_class ? ` (${entry.error_class})` : ''}</dd>
          </dl>
          <h4>Arguments <span className="muted small">(parameters marked sensitive are redacted by the runtime)</span></h4>
          <pre className="mono small" aria-label="Arguments">{JSON.stringify(entry.arguments, null, 2)}</pre>
        </>
      )}
    </dialog>
  );
}

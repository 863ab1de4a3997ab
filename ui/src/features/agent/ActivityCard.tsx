import { useState } from 'react';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading } from '../../components/PageHeader';
import { OffsetPager } from '../../components/Pagination';
import { NO_FILTERS, useAgentActivity, useAgentTokens, useOAuthClients, type ActivityFilters } from './api';

const LIMIT = 25;

/** Every call agents made, newest first: who, which tool, the outcome and how long it took; filtered and paged. */
export function ActivityCard() {
  const [filters, setFilters] = useState<ActivityFilters>(NO_FILTERS);
  const [skip, setSkip] = useState(0);
  const activity = useAgentActivity(filters, skip, LIMIT);
  const tokens = useAgentTokens();
  const clients = useOAuthClients();
  const set = (k: keyof ActivityFilters, v: string) => {
    setFilters((f) => ({ ...f, [k]: v }));
    setSkip(0);
  };
  return (
    <section className="card stack" aria-labelledby="agent-activity-title">
      <div className="section-head">
        <h2 id="agent-activity-title">Activity</h2>
        <span className="small muted">Arguments are stored with secrets redacted. Changes agents make are also in History.</span>
      </div>
      <div className="activity-filters" role="search" aria-label="Activity filters">
        <label>
          Credential{' '}
          <select value={filters.token} onChange={(e) => set('token', e.target.value)}>
            <option value="">All</option>
            {tokens.data?.items.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
            {clients.data?.items.map((c) => <option key={c.id} value={c.id}>{c.name} (OAuth)</option>)}
          </select>
        </label>
        <label>Tool <input value={filters.tool} placeholder="create_tool" onChange={(e) => set('tool', e.target.value.trim())} /></label>
        <label>
          Outcome{' '}
          <select value={filters.outcome} onChange={(e) => set('outcome', e.target.value)}>
            <option value="">All</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
            <option value="refused">refused</option>
            <option value="rate_limited">rate limited</option>
          </select>
        </label>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => { setFilters(NO_FILTERS); setSkip(0); }}>Clear</button>
      </div>
      <ErrorPanel error={activity.error} />
      {activity.isLoading && <Loading />}
      {activity.data && (
        <div className="table-card">
          <table className="table" aria-label="Agent activity">
            <thead>
              <tr><th scope="col">When</th><th scope="col">Credential</th><th scope="col">Tool</th><th scope="col">Outcome</th><th scope="col">Duration</th><th scope="col">Arguments</th></tr>
            </thead>
            <tbody>
              {activity.data.items.length === 0 && <tr><td colSpan={6} className="muted">No agent calls match.</td></tr>}
              {activity.data.items.map((e) => (
                <tr key={e.id}>
                  <td className="small">{new Date(e.at).toLocaleString()}</td>
                  <td>{e.credential_name}</td>
                  <td className="mono">{e.tool}</td>
                  <td>
                    <span className={`badge${e.outcome === 'ok' ? ' badge-ok' : e.outcome === 'error' ? ' badge-danger' : ' badge-warn'}`}
                      title={e.detail ?? undefined}>{e.outcome}</span>
                    {e.detail && <div className="small muted">{e.detail}</div>}
                  </td>
                  <td>{e.duration_ms.toFixed(1)} ms</td>
                  <td><code className="small">{summarise(e.arguments)}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
          <OffsetPager label="Activity pages" skip={skip} shown={activity.data.items.length} total={activity.data.total}
            limit={LIMIT} onSkip={setSkip} />
        </div>
      )}
    </section>
  );
}

/** The arguments on one line, clipped: the table is for scanning, the API has the whole record. */
function summarise(args: unknown): string {
  if (args == null) return '';
  const text = JSON.stringify(args);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading } from '../../components/PageHeader';
import { useRuntimeHealth } from './api';

/** Whether the runtime answers and serves the active release. */
export function HealthCard() {
  const health = useRuntimeHealth();
  const h = health.data;
  return (
    <section className="card stack" aria-labelledby="health-title">
      <div className="section-head">
        <h2 id="health-title">Runtime health</h2>
        <button type="button" className="btn btn-small" onClick={() => void health.refetch()} disabled={health.isFetching}>
          {health.isFetching ? 'Checking…' : 'Check again'}
        </button>
      </div>
      {health.isPending && <Loading what="Checking" />}
      <ErrorPanel error={health.error} />
      {h && (
        <dl className="facts">
          <dt>Runtime</dt>
          <dd data-testid="runtime-state">
            <span className={`badge ${h.reachable ? 'badge-ok' : 'badge-danger'}`}>{h.reachable ? 'Running' : 'Not reachable'}</span>
          </dd>
          <dt>Release</dt>
          <dd>
            {h.active_release == null ? 'Nothing deployed yet' : (
              <>
                serves {h.served_release ?? '—'}, active {h.active_release}{' '}
                <span className={`badge ${h.up_to_date ? 'badge-ok' : 'badge-warn'}`}>{h.up_to_date ? 'up to date' : 'behind'}</span>
              </>
            )}
          </dd>
          <dt>Checked</dt>
          <dd className="small">{h.detail}</dd>
        </dl>
      )}
    </section>
  );
}

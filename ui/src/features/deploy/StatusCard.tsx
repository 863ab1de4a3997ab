import { Link } from 'react-router';
import type { DeployStatus } from '../../hooks/useDeployStatus';

const BADGE: Record<string, string> = { running: 'badge-ok', deploying: 'badge-warn', error: 'badge-danger', stopped: '' };

/** What to do next, per status (the server's message says what happened). */
function advice(s: DeployStatus): string | null {
  switch (s.status) {
    case 'error':
      return 'Read the log below for the cause, fix it (connection, runtime binary, port), then deploy again.';
    case 'stopped':
      return s.release == null ? 'Deploy to publish the first release.' : 'Deploy to publish and start serving again.';
    case 'deploying':
      return s.target === 'kubernetes' ? 'Runtimes pick the release up on their next pull.' : null;
    default:
      return null;
  }
}

function processText(s: DeployStatus): string {
  const p = s.process;
  switch (p.state) {
    case 'running':
      return `running (${p.id}${p.restarts ? `, ${p.restarts} restart${p.restarts === 1 ? '' : 's'}` : ''})`;
    case 'restarting':
      return `restarting: ${p.message}`;
    case 'failed':
      return `failed: ${p.message}`;
    case 'external':
      return 'managed outside Quarry (runtimes pull)';
    default:
      return p.state;
  }
}

/** The deployment's status, its message and what to do; the release and the runtime instances. */
export function StatusCard({ status: s }: { status: DeployStatus }) {
  const next = advice(s);
  return (
    <section className="card deploy-status" aria-labelledby="deploy-status-title">
      <h2 id="deploy-status-title">
        Status <span className={`badge ${BADGE[s.status] ?? ''}`} data-status={s.status}>{s.status}</span>
      </h2>
      <p className={s.status === 'error' ? 'status-error' : undefined}>{s.message}</p>
      {next && <p className="muted">{next}</p>}
      <dl className="facts">
        <dt>Target</dt>
        <dd>{s.target}</dd>
        <dt>Active release</dt>
        <dd>{s.release != null ? <Link to={`/releases/${s.release}`}>#{s.release}</Link> : '—'}</dd>
        <dt>Newest release</dt>
        <dd>{s.latest_release != null ? <Link to="/releases">#{s.latest_release}</Link> : '—'}</dd>
        <dt>Runtime</dt>
        <dd>{processText(s)}</dd>
        <dt>Runtime version</dt>
        <dd>{s.runtime_version ?? '—'}</dd>
      </dl>
      <h3>Instances</h3>
      {s.instances.length === 0 ? (
        <p className="muted">No runtime has sent a heartbeat in the last 90 seconds.</p>
      ) : (
        <table className="table" aria-label="Runtime instances">
          <thead>
            <tr><th>Instance</th><th>Release</th><th>Status</th><th>Version</th><th>Last seen</th></tr>
          </thead>
          <tbody>
            {s.instances.map((i) => (
              <tr key={i.instance_id}>
                <td className="mono">{i.instance_id}</td>
                <td>{i.release ? `#${i.release}` : '—'}</td>
                <td>
                  <span className={`badge ${i.status === 'error' ? 'badge-danger' : 'badge-ok'}`}>{i.status ?? 'running'}</span>
                  {i.message && <div className="small status-error">{i.message}</div>}
                  {(i.connections_down?.length ?? 0) > 0 && (
                    <div className="small">
                      <span className="badge badge-warn">database down</span>{' '}
                      {i.connections_down!.join(', ')} did not answer its health probe
                    </div>
                  )}
                </td>
                <td>{i.runtime_version ?? '—'}</td>
                <td className="small">{i.last_seen ? new Date(i.last_seen).toLocaleString() : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

import { Link } from 'react-router';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { Pagination, usePage } from '../../components/Pagination';
import { useDeployStatus } from '../../hooks/useDeployStatus';
import { useReleases } from './api';
import { ChangeList } from './ChangeList';
import { useRollback } from './RollbackDialog';
import './releases.css';

/** Every release, newest first, with its changes; diff and rollback from here. */
export function ReleasesPage() {
  const { skip, limit } = usePage();
  const list = useReleases(skip, limit);
  const status = useDeployStatus();
  const active = status.data?.release;
  const { redeploy, ask: setAsking, dialog, refusedLead } = useRollback(active);
  return (
    <>
      <PageHeader title="Releases" subtitle="Each deploy publishes an immutable, numbered release. Compare any two, or roll back." />
      {redeploy.data && (
        <div className="alert alert-success" role="status">
          Release #{redeploy.data.rolled_back_from} is published again as{' '}
          <Link to={`/releases/${redeploy.data.number}`}>release #{redeploy.data.number}</Link>.
        </div>
      )}
      <ErrorPanel error={list.error ?? redeploy.error} lead={list.error ? undefined : refusedLead} />
      {list.isLoading && <Loading />}
      {list.data && list.data.total === 0 && (
        <div className="empty card">
          <p>No releases yet: the first deploy creates release #1.</p>
          <Link className="btn btn-primary" to="/deploy">Go to Deploy</Link>
        </div>
      )}
      {list.data && list.data.items.length > 0 && (
        <div className="card table-card">
          <table className="table" aria-label="Releases">
            <thead>
              <tr><th>Release</th><th>Changes</th><th>Serves</th><th>Created</th><th aria-label="Actions" /></tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.number} data-release={r.number}>
                  <td>
                    <Link to={`/releases/${r.number}`} className="strong">#{r.number}</Link>
                    {r.number === active && <> <span className="badge badge-ok">active</span></>}
                    {r.rolled_back_from != null && <div className="muted small">rollback to #{r.rolled_back_from}</div>}
                    <div className="muted small mono" title={r.content_hash}>{r.content_hash.slice(0, 19)}…</div>
                  </td>
                  <td><ChangeList changes={r.changes} /></td>
                  <td className="small">{r.tools} tools · {r.resources} resources · {r.prompts} prompts</td>
                  <td className="small">{new Date(r.created_at).toLocaleString()}</td>
                  <td className="actions">
                    <Link className="btn btn-small btn-ghost" to={`/releases/${r.number}`}>Diff</Link>
                    <button
                      type="button"
                      className="btn btn-small btn-ghost"
                      disabled={r.number === active || redeploy.isPending}
                      onClick={() => setAsking(r.number)}
                    >
                      Roll back to #{r.number}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination total={list.data.total} shown={list.data.items.length} />
        </div>
      )}
      {dialog}
    </>
  );
}

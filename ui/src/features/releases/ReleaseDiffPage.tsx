import { Link, useParams, useSearchParams } from 'react-router';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { useDeployStatus } from '../../hooks/useDeployStatus';
import { useRelease, useReleaseDiff, useReleases } from './api';
import { DiffEntryCard } from './DiffEntryCard';
import { useRollback } from './RollbackDialog';
import './releases.css';

/** Release `number` compared with the previous one, the active one, or any release. */
export function ReleaseDiffPage() {
  const number = Number.parseInt(useParams().number ?? '', 10);
  const [params, setParams] = useSearchParams();
  const against = params.get('against') ?? 'previous';
  const release = useRelease(number);
  const diff = useReleaseDiff(number, against);
  const others = useReleases(0, 100);
  const status = useDeployStatus();
  const active = status.data?.release;
  const { redeploy, ask: setAsking, dialog, refusedLead } = useRollback(active);
  if (!Number.isFinite(number)) return <ErrorPanel error={new Error('No such release.')} />;
  const base = diff.data?.against;
  return (
    <>
      <PageHeader
        title={`Release #${number}`}
        subtitle={<Link to="/releases">← All releases</Link>}
        actions={
          <button type="button" className="btn" disabled={number === active || redeploy.isPending} onClick={() => setAsking(number)}>
            {number === active ? 'Active release' : `Roll back to #${number}`}
          </button>
        }
      />
      {redeploy.data && (
        <div className="alert alert-success" role="status">
          Release #{number} is published again as <Link to={`/releases/${redeploy.data.number}`}>release #{redeploy.data.number}</Link>.
        </div>
      )}
      <ErrorPanel error={release.error ?? redeploy.error} lead={release.error ? undefined : refusedLead} />
      {release.data && (
        <p className="muted">
          Built {new Date(release.data.created_at).toLocaleString()} · {release.data.tools} tools, {release.data.resources} resources,{' '}
          {release.data.prompts} prompts
          {release.data.rolled_back_from != null && <> · a rollback to #{release.data.rolled_back_from}</>}
          {number === active && <> · <span className="badge badge-ok">active</span></>}
        </p>
      )}
      <div className="diff-against">
        <label htmlFor="against">Compare with</label>
        <select id="against" value={against} onChange={(e) => setParams(e.target.value === 'previous' ? {} : { against: e.target.value })}>
          <option value="previous">the previous release</option>
          <option value="active">the active release{active != null ? ` (#${active})` : ''}</option>
          {others.data?.items
            .filter((r) => r.number !== number)
            .map((r) => (
              <option key={r.number} value={String(r.number)}>
                release #{r.number}
              </option>
            ))}
        </select>
      </div>
      {diff.isLoading && <Loading what="Comparing" />}
      <ErrorPanel error={diff.error} />
      {diff.data && (
        <>
          <h2 className="diff-summary">
            {base == null ? `Everything in release #${number} (the first release)` : `From release #${base} to #${number}`}:{' '}
            {diff.data.entries.length} difference{diff.data.entries.length === 1 ? '' : 's'}
          </h2>
          {diff.data.entries.length === 0 && <p className="muted">The two releases serve the same content.</p>}
          {diff.data.entries.map((e) => (
            <DiffEntryCard key={`${e.kind}:${e.name}`} entry={e} />
          ))}
        </>
      )}
      {dialog}
    </>
  );
}

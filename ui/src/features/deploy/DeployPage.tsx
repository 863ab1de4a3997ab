import { useState } from 'react';
import { Link } from 'react-router';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorPanel } from '../../components/ErrorPanel';
import { Loading, PageHeader } from '../../components/PageHeader';
import { useDeployStatus } from '../../hooks/useDeployStatus';
import { ApiError } from '../../lib/api/client';
import { SecretValue, ShownOnce } from '../../components/Credentials';
import { useDeploy, useStop } from './api';
import { DeployProblems } from './DeployProblems';
import { LogPanel } from './LogPanel';
import { StatusCard } from './StatusCard';
import './deploy.css';

/** Publish the store as a release, see the status and runtimes, stop, and follow the logs. */
export function DeployPage() {
  const status = useDeployStatus(3000);
  const deploy = useDeploy();
  const stop = useStop();
  const [confirmStop, setConfirmStop] = useState(false);
  const refused = deploy.error instanceof ApiError && deploy.error.problems.length > 0 ? deploy.error.problems : null;
  const running = status.data && status.data.release != null && !(status.data.status === 'stopped');
  return (
    <>
      <PageHeader
        title="Deploy"
        subtitle="Publish what you edited as a new release; runtimes pick it up and serve it over MCP."
        actions={
          <>
            <button
              type="button"
              className="btn btn-primary"
              disabled={deploy.isPending}
              onClick={() => { stop.reset(); deploy.mutate(); }}
            >
              {deploy.isPending ? 'Deploying…' : 'Deploy'}
            </button>
            <button type="button" className="btn btn-danger-ghost" disabled={!running || stop.isPending} onClick={() => setConfirmStop(true)}>
              Stop
            </button>
          </>
        }
      />
      {deploy.data && !deploy.isPending && (
        <div className="alert alert-success" role="status">
          Release <Link to={`/releases/${deploy.data.release.number}`}>#{deploy.data.release.number}</Link> published
          {deploy.data.release.changes.length
            ? ` with ${deploy.data.release.changes.length} change${deploy.data.release.changes.length === 1 ? '' : 's'}`
            : ' (no content changes)'}
          .
        </div>
      )}
      {deploy.data?.token && !deploy.isPending && (
        <ShownOnce label="Minted token"
          title="MCP clients need a bearer token: this one was created for you. Copy it now: you will not see it again.">
          <p className="small note">
            Send it as <code>Authorization: Bearer …</code>. Manage tokens (and the authentication mode) on the{' '}
            <Link to="/server">Server</Link> page.
          </p>
          <SecretValue value={deploy.data.token} what="token" testId="minted-token" />
        </ShownOnce>
      )}
      {stop.isSuccess && <div className="alert alert-success" role="status">Stopped: nothing is published and the runtime is down.</div>}
      {refused ? <DeployProblems problems={refused} /> : <ErrorPanel error={deploy.error} />}
      <ErrorPanel error={stop.error} />
      {status.isLoading && <Loading what="Loading the status" />}
      <ErrorPanel error={status.error} />
      {status.data && <StatusCard status={status.data} />}
      <LogPanel />
      <ConfirmDialog
        open={confirmStop}
        title="Stop serving?"
        confirmLabel="Stop the runtime"
        danger
        busy={stop.isPending}
        onCancel={() => setConfirmStop(false)}
        onConfirm={() => {
          setConfirmStop(false);
          deploy.reset();
          stop.mutate();
        }}
      >
        <p>
          The release is unpublished and the runtime stops: MCP clients lose their tools until the next deploy. Releases
          are kept.
        </p>
      </ConfirmDialog>
    </>
  );
}

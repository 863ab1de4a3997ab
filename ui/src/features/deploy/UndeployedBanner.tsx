import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useLocation } from 'react-router';
import { DEPLOY_STATUS_KEY, useDeployStatus } from '../../hooks/useDeployStatus';
import './deploy.css';

/**
 * On every page: the store holds changes that are not deployed. Polls the
 * status every 10 s, and again right after any save (a successful mutation).
 */
export function UndeployedBanner() {
  const status = useDeployStatus();
  const qc = useQueryClient();
  const { pathname } = useLocation();
  useEffect(
    () =>
      qc.getMutationCache().subscribe((event) => {
        if (event.type === 'updated' && event.action.type === 'success') {
          void qc.invalidateQueries({ queryKey: DEPLOY_STATUS_KEY });
        }
      }),
    [qc],
  );
  if (!status.data?.undeployed_changes) return null;
  const first = status.data.release == null;
  return (
    <div className="undeployed-banner" role="status">
      <span>
        {first ? 'Nothing is deployed yet: MCP clients see none of your changes.' : 'You have changes that are not deployed yet.'}
      </span>
      {pathname !== '/deploy' && (
        <Link className="btn btn-small btn-primary" to="/deploy">
          Review and deploy
        </Link>
      )}
    </div>
  );
}

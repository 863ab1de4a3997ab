import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../lib/api/client';

export type DeployStatus = Schema<'DeployStatus'>;

/** The query key of `GET /deploy/status`; invalidate it after anything that may change what is deployed. */
export const DEPLOY_STATUS_KEY = ['deploy', 'status'] as const;

/**
 * The deployment's status, shared by the undeployed-changes banner, the Deploy
 * page and Releases (which marks the active release). Polled every
 * `intervalMs` (modestly: the banner is on every page).
 */
export function useDeployStatus(intervalMs = 10_000) {
  return useQuery({
    queryKey: DEPLOY_STATUS_KEY,
    queryFn: () => unwrap(api.GET('/api/v1/deploy/status')),
    refetchInterval: intervalMs,
  });
}

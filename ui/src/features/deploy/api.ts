import { useMutation, useQueryClient } from '@tanstack/react-query';
import { DEPLOY_STATUS_KEY } from '../../hooks/useDeployStatus';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type DeployResult = Schema<'DeployResult'>;
export type Heartbeat = Schema<'Heartbeat'>;
export type LogLine = Schema<'LogLine'>;

/** Publishes the store as the next release; a 422 carries every problem. */
export function useDeploy() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/deploy')),
    onSuccess: (result) => {
      qc.setQueryData(DEPLOY_STATUS_KEY, result.status);
      return qc.invalidateQueries({ queryKey: ['releases'] });
    },
  });
}

/** Unpublishes the release and stops the runtime. */
export function useStop() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/deploy/stop')),
    onSuccess: (status) => qc.setQueryData(DEPLOY_STATUS_KEY, status),
  });
}

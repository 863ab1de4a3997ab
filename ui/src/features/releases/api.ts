import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { DEPLOY_STATUS_KEY } from '../../hooks/useDeployStatus';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type ReleaseInfo = Schema<'ReleaseInfo'>;
export type DiffEntry = Schema<'DiffEntry'>;

const KEY = ['releases'] as const;

export function useReleases(skip: number, limit: number) {
  return useQuery({
    queryKey: [...KEY, 'page', skip, limit],
    queryFn: () => unwrap(api.GET('/api/v1/releases', { params: { query: { skip, limit } } })),
  });
}

export function useRelease(number: number) {
  return useQuery({
    queryKey: [...KEY, 'one', number],
    queryFn: () => unwrap(api.GET('/api/v1/releases/{number}', { params: { path: { number } } })),
  });
}

/** Release `number` against `against`: `previous`, `active` or a release number. */
export function useReleaseDiff(number: number, against: string) {
  return useQuery({
    queryKey: [...KEY, 'diff', number, against],
    queryFn: () =>
      unwrap(api.GET('/api/v1/releases/{number}/diff', { params: { path: { number }, query: { against } } })),
  });
}

/** Rollback: publishes release `number` again as a new release. */
export function useRedeploy() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (number: number) =>
      unwrap(api.POST('/api/v1/releases/{number}/redeploy', { params: { path: { number } } })),
    onSuccess: () => Promise.all([qc.invalidateQueries({ queryKey: KEY }), qc.invalidateQueries({ queryKey: DEPLOY_STATUS_KEY })]),
  });
}

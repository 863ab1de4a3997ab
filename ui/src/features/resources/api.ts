import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type Resource = Schema<'Resource'>;
export type ResourceFields = Schema<'ResourceFields'>;

const KEY = ['resources'] as const;

export function useResources(skip: number, limit: number) {
  return useQuery({
    queryKey: [...KEY, 'page', skip, limit],
    queryFn: () => unwrap(api.GET('/api/v1/resources', { params: { query: { skip, limit } } })),
  });
}

export function useResource(id: string) {
  return useQuery({
    queryKey: [...KEY, 'one', id],
    queryFn: () => unwrap(api.GET('/api/v1/resources/{id}', { params: { path: { id } } })),
  });
}

export function useSaveResource(id?: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ResourceFields & { version?: number }) =>
      id
        ? unwrap(api.PATCH('/api/v1/resources/{id}', { params: { path: { id } }, body }))
        : unwrap(api.POST('/api/v1/resources', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

export function useDeleteResource() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/resources/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type Connection = Schema<'Connection'>;
export type ConnectionInput = Schema<'ConnectionInput'>;
export type ConnectionPatch = Schema<'ConnectionPatch'>;

const KEY = ['connections'] as const;

export function useConnections(skip: number, limit: number) {
  return useQuery({
    queryKey: [...KEY, 'page', skip, limit],
    queryFn: () => unwrap(api.GET('/api/v1/connections', { params: { query: { skip, limit } } })),
  });
}

export function useConnection(id: string) {
  return useQuery({
    queryKey: [...KEY, 'one', id],
    queryFn: () => unwrap(api.GET('/api/v1/connections/{id}', { params: { path: { id } } })),
  });
}

export function useSaveConnection(id?: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ConnectionInput | ConnectionPatch) =>
      id
        ? unwrap(api.PATCH('/api/v1/connections/{id}', { params: { path: { id } }, body: body as ConnectionPatch }))
        : unwrap(api.POST('/api/v1/connections', { body: body as ConnectionInput })),
    onSuccess: () => qc.invalidateQueries({ queryKey: KEY }),
  });
}

export function useDeleteConnection() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/connections/{id}', { params: { path: { id } } })),
    // Deleting a connection also deletes its tools and resources.
    onSuccess: () => Promise.all(['connections', 'tools', 'resources'].map((k) => qc.invalidateQueries({ queryKey: [k] }))),
  });
}

/** Connects and runs `SELECT 1`; an unreachable database is a result (`success: false`), not an error. */
export function useTestConnection() {
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/connections/{id}/test', { params: { path: { id } } })),
  });
}

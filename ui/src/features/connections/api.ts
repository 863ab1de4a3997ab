import { useMutation } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';
import type { paths } from '../../lib/api/schema';
import { defineCrud } from '../../lib/crud';

export type Connection = Schema<'Connection'>;
export type ConnectionInput = Schema<'ConnectionInput'>;
export type ConnectionPatch = Schema<'ConnectionPatch'>;
export type ConnectionQuery = NonNullable<paths['/api/v1/connections']['get']['parameters']['query']>;

export const connections = defineCrud({
  key: 'connections',
  list: (query: ConnectionQuery) => api.GET('/api/v1/connections', { params: { query } }),
  get: (id) => api.GET('/api/v1/connections/{id}', { params: { path: { id } } }),
  create: (body: ConnectionInput) => api.POST('/api/v1/connections', { body }),
  update: (id, body: ConnectionPatch) => api.PATCH('/api/v1/connections/{id}', { params: { path: { id } }, body }),
  remove: (id) => api.DELETE('/api/v1/connections/{id}', { params: { path: { id } } }),
  // Deleting a connection also deletes its tools and resources.
  alsoChanges: ['tools', 'resources'],
});

/** Connects and runs `SELECT 1`; an unreachable database is a result (`success: false`), not an error. */
export function useTestConnection() {
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/connections/{id}/test', { params: { path: { id } } })),
  });
}

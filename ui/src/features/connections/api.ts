import { useMutation } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';
import { restCrud } from '../../lib/crud';

export type Connection = Schema<'Connection'>;
export type ConnectionInput = Schema<'ConnectionInput'>;
export type ConnectionPatch = Schema<'ConnectionPatch'>;

// Deleting a connection also deletes its tools and resources.
export const connections = restCrud('connections', { alsoChanges: ['tools', 'resources'] });

/** Connects and runs `SELECT 1`; an unreachable database is a result (`success: false`), not an error. */
export function useTestConnection() {
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/connections/{id}/test', { params: { path: { id } } })),
  });
}

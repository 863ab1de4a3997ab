import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schema } from '../../lib/api/client';

export type HistoryEntry = Schema<'HistoryEntry'>;

export interface HistoryFilters {
  entity_type?: string;
  action?: string;
}

const KEY = ['history'] as const;

export function useHistory(filters: HistoryFilters, skip: number, limit: number) {
  return useQuery({
    queryKey: [...KEY, filters, skip, limit],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/history', {
          params: {
            query: {
              skip,
              limit,
              entity_type: filters.entity_type || undefined,
              action: filters.action || undefined,
            },
          },
        }),
      ),
  });
}

/** The query key of the feature that shows an entity type (e.g. `tool` → `['tools']`). */
function featureKey(entityType: string): string[] {
  return entityType === 'server_config' || entityType === 'token' ? ['server'] : [`${entityType}s`];
}

/**
 * Rolls an entity back to the snapshot of an entry. The cached entity is
 * dropped, not just marked stale, so an edit form opened next starts from the
 * restored state; a connection's rollback may bring back tools too.
 */
export function useRollback() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (entry: HistoryEntry) =>
      unwrap(api.POST('/api/v1/history/{history_id}/rollback', { params: { path: { history_id: entry.id } } })),
    onSuccess: (_, entry) => {
      qc.removeQueries({ queryKey: featureKey(entry.entity_type) });
      if (entry.entity_type === 'connection') {
        for (const k of ['tools', 'resources']) qc.removeQueries({ queryKey: [k] });
      }
      return qc.invalidateQueries({ queryKey: KEY });
    },
  });
}
